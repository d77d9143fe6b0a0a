// The replay player: draws a match's frames (GET /api/matches/ID/trajectory) on a canvas from above:
// the mat of its layout, movable objects, every robot's parts and trail, and the score over time.
// Play/pause, scrub, speed. Units from the server: mm, degrees, seconds.
"use strict";
(function () {
  var box = document.getElementById("player");
  if (!box) return;
  var stage = document.getElementById("stage"), chart = document.getElementById("chart");
  var ctx = stage.getContext("2d"), cctx = chart.getContext("2d");
  var playBtn = document.getElementById("play"), scrub = document.getElementById("scrub");
  var clock = document.getElementById("clock"), speedSel = document.getElementById("speed");
  var doc = null, mat = new Image(), frame = 0, t = 0, playing = false, last = null;
  var state = { ready: false, frame: 0, frames: 0, playing: false, error: "" };
  window.arenaPlayer = state;

  function px(x) { return (x + doc.mat.width / 2) * stage.width / doc.mat.width; }
  function py(y) { return (doc.mat.height / 2 - y) * stage.height / doc.mat.height; }
  function mm() { return stage.width / doc.mat.width; }  // canvas pixels per mm

  function shade(hex, f) {
    var n = parseInt(hex.slice(1), 16);
    var r = Math.round(((n >> 16) & 255) * f), g = Math.round(((n >> 8) & 255) * f), b = Math.round((n & 255) * f);
    return "rgb(" + r + "," + g + "," + b + ")";
  }

  function drawObject(shape, o) {
    var k = mm();
    ctx.save();
    ctx.translate(px(o[0]), py(o[1]));
    ctx.rotate(-o[2] * Math.PI / 180);
    ctx.fillStyle = shape.color;
    ctx.strokeStyle = shade(shape.color, 0.55);
    ctx.lineWidth = 2;
    if (shape.shape === "disc") {
      ctx.beginPath();
      ctx.arc(0, 0, shape.size[0] / 2 * k, 0, 2 * Math.PI);
      ctx.fill(); ctx.stroke();
    } else {
      var w = shape.size[0] * k, h = shape.size[1] * k;
      ctx.fillRect(-w / 2, -h / 2, w, h);
      ctx.strokeRect(-w / 2, -h / 2, w, h);
    }
    ctx.restore();
  }

  function drawRobot(p, r) {
    var k = mm();
    ctx.save();
    ctx.translate(px(r.x), py(r.y));
    ctx.rotate(-r.heading * Math.PI / 180);
    p.parts.forEach(function (q) {  // [x, y, yaw, length, width, colour] in the robot's frame
      ctx.save();
      ctx.translate(q[0] * k, -q[1] * k);
      ctx.rotate(-q[2] * Math.PI / 180);
      ctx.globalAlpha = 0.95;
      ctx.fillStyle = q[5];
      ctx.fillRect(-q[3] * k / 2, -q[4] * k / 2, q[3] * k, q[4] * k);
      ctx.restore();
    });
    ctx.globalAlpha = 1;
    ctx.strokeStyle = p.color;
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(0, 0);
    ctx.lineTo(70 * k, 0);  // heading marker
    ctx.stroke();
    ctx.restore();
  }

  function drawTrail(i, upto) {
    var f = doc.frames;
    ctx.strokeStyle = doc.players[i].color;
    ctx.globalAlpha = 0.8;
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (var k = 0; k <= upto; k++) {
      var r = f[k].robots[i];
      if (k === 0) ctx.moveTo(px(r.x), py(r.y)); else ctx.lineTo(px(r.x), py(r.y));
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  function drawChart(upto) {
    var f = doc.frames, w = chart.width, h = chart.height, pad = 28;
    var lo = 0, hi = 1;
    f.forEach(function (fr) { fr.scores.forEach(function (s) { lo = Math.min(lo, s); hi = Math.max(hi, s); }); });
    var X = function (tt) { return pad + (w - pad - 8) * tt / Math.max(doc.duration, 1e-9); };
    var Y = function (s) { return h - 18 - (h - 30) * (s - lo) / (hi - lo); };
    cctx.clearRect(0, 0, w, h);
    cctx.fillStyle = "#fff"; cctx.fillRect(0, 0, w, h);
    cctx.strokeStyle = "#ccc"; cctx.lineWidth = 1;
    cctx.beginPath(); cctx.moveTo(pad, Y(0)); cctx.lineTo(w - 8, Y(0)); cctx.stroke();
    cctx.fillStyle = "#666"; cctx.font = "11px sans-serif";
    cctx.fillText(hi.toFixed(0), 2, Y(hi) + 4);
    cctx.fillText(lo.toFixed(0), 2, Y(lo));
    cctx.fillText("score over time (" + doc.duration.toFixed(1) + " s)", pad + 4, h - 4);
    doc.players.forEach(function (p, i) {
      cctx.strokeStyle = p.color; cctx.lineWidth = 2;
      cctx.beginPath();
      f.forEach(function (fr, k) {
        if (k === 0) cctx.moveTo(X(fr.t), Y(fr.scores[i])); else cctx.lineTo(X(fr.t), Y(fr.scores[i]));
      });
      cctx.globalAlpha = 0.35; cctx.stroke(); cctx.globalAlpha = 1;
      cctx.beginPath();
      for (var k = 0; k <= upto; k++) {
        if (k === 0) cctx.moveTo(X(f[k].t), Y(f[k].scores[i])); else cctx.lineTo(X(f[k].t), Y(f[k].scores[i]));
      }
      cctx.stroke();
    });
    cctx.strokeStyle = "#d35400";
    cctx.beginPath(); cctx.moveTo(X(f[upto].t), 4); cctx.lineTo(X(f[upto].t), h - 16); cctx.stroke();
  }

  function draw() {
    var fr = doc.frames[frame];
    ctx.drawImage(mat, 0, 0, stage.width, stage.height);
    if (fr.objects) fr.objects.forEach(function (o, j) { drawObject(doc.objects[j], o); });
    doc.players.forEach(function (p, i) { drawTrail(i, frame); });
    doc.players.forEach(function (p, i) { drawRobot(p, fr.robots[i]); });
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(6, 6, 150 + 110 * doc.players.length, 24);
    ctx.fillStyle = "#111"; ctx.font = "14px sans-serif";
    var text = fr.t.toFixed(2) + " s";
    doc.players.forEach(function (p, i) { text += "   p" + i + " " + fr.scores[i].toFixed(1); });
    ctx.fillText(text, 12, 23);
    drawChart(frame);
    scrub.value = frame;
    clock.textContent = fr.t.toFixed(2) + " / " + doc.duration.toFixed(2) + " s";
    state.frame = frame;
  }

  function tick(now) {
    if (!playing) return;
    if (last !== null) t += (now - last) / 1000 * parseFloat(speedSel.value);
    last = now;
    frame = Math.min(doc.frames.length - 1, Math.floor(t / doc.frame_dt));
    draw();
    if (frame >= doc.frames.length - 1) { setPlaying(false); return; }
    window.requestAnimationFrame(tick);
  }

  function setPlaying(on) {
    playing = on; state.playing = on; last = null;
    playBtn.textContent = on ? "Pause" : "Play";
    if (on) {
      if (frame >= doc.frames.length - 1) { frame = 0; }
      t = frame * doc.frame_dt;
      window.requestAnimationFrame(tick);
    }
  }

  playBtn.addEventListener("click", function () { setPlaying(!playing); });
  scrub.addEventListener("input", function () {
    frame = parseInt(scrub.value, 10) || 0; t = frame * doc.frame_dt; draw();
  });

  function fail(msg) { state.error = msg; clock.textContent = msg; }

  fetch(box.dataset.trajectory, { headers: { Accept: "application/json" } })
    .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
    .then(function (res) {
      if (!res.ok) { fail(res.j.error || "cannot load the trajectory"); return; }
      doc = res.j;
      stage.height = Math.round(stage.width * doc.mat.height / doc.mat.width);
      var legend = document.getElementById("legend");
      doc.players.forEach(function (p, i) {
        var s = document.createElement("span"), sw = document.createElement("i");
        sw.style.background = p.color;
        s.appendChild(sw);
        s.appendChild(document.createTextNode("p" + i + " " + p.agent + " (" + p.robot + ")"));
        legend.appendChild(s);
      });
      mat.onload = function () {
        scrub.max = doc.frames.length - 1;
        scrub.disabled = false; playBtn.disabled = false;
        state.frames = doc.frames.length; state.ready = true;
        draw();
      };
      mat.onerror = function () { fail("cannot load the mat picture"); };
      mat.src = box.dataset.mat;
    })
    .catch(function (e) { fail("cannot load the trajectory: " + e); });
})();
