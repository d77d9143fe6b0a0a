"""PPO (Stable-Baselines3) on a world: seeded, budgeted, evaluated, checkpointed, resumable.

A run folder holds everything: config.json (what was trained; export reads it), progress.csv
(SB3's training metrics), eval.csv (one row per evaluation and seed), TensorBoard event files,
curve.png, checkpoints/model_<steps>.zip, and model.zip (the last policy) and best.zip (the best
median evaluation score). `arena train` is the command; docs/training.md the guide.
"""

from __future__ import annotations

import csv
import json
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from arena.errors import ArenaError
from arena.learn import curve, mlp
from arena.learn.tbevents import EventWriter

VEC_KINDS = ("batched", "dummy", "subproc")


@dataclass
class TrainConfig:
    """What a run trains; saved as config.json and checked again on resume."""

    world: str = "line-follow"
    robot: str | None = None
    seed: int = 0
    steps: int | None = 300_000  # budget in env steps (None: minutes only)
    minutes: float | None = None  # budget in wall-clock minutes (whichever ends first)
    n_envs: int = 4
    vec: str = "dummy"  # "batched" (arena.learn.sb3vec), "dummy" or "subproc" (SB3's own)
    workers: int | None = None  # processes for vec="batched"
    obs_keys: list[str] | None = None  # observation="scaled" keys (None: every key)
    stack: int = 1
    shaping: list[str] | None = None  # term names; None: the world's default terms (resolved by train)
    action_mode: str = "duty"
    control_dt: float = 0.01  # s per env step: a multiple of the brick's 10 ms (the agent holds its action)
    random_start: bool = False  # training episodes start anywhere along the scored path
    lost_after: float | None = None  # mm from the scored path that ends a training episode (None: never)
    episode_seconds: float | None = None  # training episodes this long (None: the world's time_limit)
    eval_every: int = 25_000  # env steps between evaluations
    eval_seeds: list[int] = field(default_factory=lambda: [1000, 1001, 1002])
    eval_seconds: float | None = None  # evaluation episodes this long (None: the world's time_limit)
    checkpoint_every: int = 50_000
    learning_rate: float = 3e-4
    n_steps: int = 512  # per env, per update
    batch_size: int = 64
    n_epochs: int = 10
    gamma: float = 0.99
    ent_coef: float = 0.0
    log_std_init: float = 0.0
    use_sde: bool = False  # generalized state-dependent exploration (smooth noise: suits 10 ms control)
    # the policy (exported, run on the brick): small enough for the EV3's 10 ms (docs/training.md);
    # the value network is used only in training
    net: list[int] = field(default_factory=lambda: [16, 16])
    vf_net: list[int] = field(default_factory=lambda: [64, 64])

    def env_kwargs(self) -> dict:
        return {"world": self.world, "robot": self.robot, "observation": "scaled",
                "obs_keys": tuple(self.obs_keys) if self.obs_keys else None, "stack": self.stack,
                "action_mode": self.action_mode, "control_dt": self.control_dt}

    def shaping_arg(self) -> tuple[str, ...] | str:
        """ArenaEnv's shaping argument: the names, or "default" (the world's) while unresolved."""
        return "default" if self.shaping is None else tuple(self.shaping)

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ArenaError(f"{path}: cannot read the run's config ({exc}): is this an `arena train` folder?") from None
        known = {f.name for f in fields(cls)}
        bad = sorted(set(data) - known)
        if bad:
            raise ArenaError(f"{path}: unknown keys {bad}: it was written by another version; train afresh")
        return cls(**data)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    def check(self) -> None:
        if self.vec not in VEC_KINDS:
            raise ArenaError(f"vec {self.vec!r}: use one of {', '.join(VEC_KINDS)}")
        if self.steps is None and self.minutes is None:
            raise ArenaError("no budget: give --steps or --minutes")
        if self.n_envs < 1 or self.stack < 1 or self.eval_every < 1 or self.checkpoint_every < 1:
            raise ArenaError("--envs, --stack, --eval-every and --checkpoint-every must be at least 1")
        if self.steps is not None and self.steps < 1:
            raise ArenaError(f"--steps {self.steps}: give a budget of at least 1 env step (or --minutes)")
        if self.n_steps < 2:  # PPO's rollout needs two steps to compute an advantage
            raise ArenaError(f"--n-steps {self.n_steps}: PPO's rollout needs at least 2 steps per env (default 512)")
        ratio = self.control_dt / 0.01
        if self.control_dt < 0.01 - 1e-12 or abs(ratio - round(ratio)) > 1e-9:
            raise ArenaError(f"--control-dt {self.control_dt}: use a whole multiple of the brick's 0.01 s period")
        if not self.eval_seeds:
            raise ArenaError("--eval-seeds is empty: give at least one held-out seed")


def need_sb3():
    try:
        import stable_baselines3
    except ImportError:
        raise ArenaError("arena train needs Stable-Baselines3 and torch: pip install 'kit-arena[dev]' "
                         "(or pip install stable-baselines3)") from None
    return stable_baselines3


def make_env(cfg: TrainConfig, seconds: float | None = None, training: bool = False):
    """One env of the run: ArenaEnv with the scaled observation, the shaping terms switched on, and
    episodes cut at `seconds` (a TimeLimit; None keeps the world's own time limit). Training envs
    also end when the robot is lost (cfg.lost_after); evaluation envs never do."""
    from gymnasium.wrappers import TimeLimit

    from arena.envs.single import ArenaEnv

    env = ArenaEnv(**cfg.env_kwargs(), shaping=cfg.shaping_arg(), lost_after=cfg.lost_after if training else None,
                   random_start=cfg.random_start and training)
    if seconds is not None:
        env = TimeLimit(env, max_episode_steps=max(1, int(round(seconds / env.sim.control_dt))))
    return env


def make_vec(cfg: TrainConfig):
    """The SB3 VecEnv the run trains on, seeded from cfg.seed (env i: seed + i)."""
    need_sb3()
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    if cfg.vec == "batched":
        from arena.learn.sb3vec import BatchedSB3VecEnv

        venv = BatchedSB3VecEnv(cfg.n_envs, workers=cfg.workers, max_episode_seconds=cfg.episode_seconds,
                                shaping=cfg.shaping_arg(), lost_after=cfg.lost_after,
                                random_start=cfg.random_start, **cfg.env_kwargs())
    else:
        fns = [_EnvFactory(cfg) for _ in range(cfg.n_envs)]
        venv = DummyVecEnv(fns) if cfg.vec == "dummy" else SubprocVecEnv(fns, start_method="spawn")
    venv.seed(cfg.seed)
    return venv


class _EnvFactory:
    """A picklable env factory (SubprocVecEnv sends it to spawned workers)."""

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg

    def __call__(self):
        from stable_baselines3.common.monitor import Monitor

        return Monitor(make_env(self.cfg, self.cfg.episode_seconds, training=True))


def evaluate(layers, activation: str, cfg: TrainConfig, seeds: list[int]) -> list[dict]:
    """The deterministic policy (numpy forward pass, as the exported agent runs it) on each seed,
    scored by the world's score only (no shaping): [{seed, score, success, time}]."""
    env = make_env(cfg, cfg.eval_seconds)
    out = []
    try:
        for s in seeds:
            obs, info = env.reset(seed=int(s))
            done = False
            while not done:
                obs, _r, te, tr, info = env.step(mlp.forward(layers, activation, obs))
                done = te or tr
            out.append({"seed": int(s), "score": float(info["score/total"]), "success": bool(info["success"]),
                        "time": float(info["time"])})
    finally:
        env.close()
    return out


def latest_checkpoint(run: Path) -> Path | None:
    found = sorted((run / "checkpoints").glob("model_*.zip"), key=lambda p: int(p.stem.split("_")[1]))
    return found[-1] if found else None


def default_shaping(cfg: TrainConfig, say=print) -> None:
    """cfg.shaping None -> the world's default terms by name (so config.json records them), said."""
    if cfg.shaping is not None:
        return
    from arena.envs.single import load_world_spec
    from arena.world import shaping

    spec = load_world_spec(cfg.world)
    terms = shaping.defaults(spec)
    cfg.shaping = [s.name for s in terms]
    listed = ", ".join(f"{s.name} ({s.kind}, weight {s.weight:g})" for s in terms)
    say(f"shaping: {spec.name}'s defaults: {listed}" if terms else
        f"shaping: {spec.name} declares no default terms: the reward is the score's increase only")


def train(cfg: TrainConfig, run: Path, resume: bool = False, progress: bool = True, say=print) -> dict:
    """Train (or resume) a run in folder `run`; returns a summary {steps, best, last, minutes}.
    cfg.shaping None trains with the world's default shaping terms (default_shaping)."""
    cfg.check()
    default_shaping(cfg, say)
    sb3 = need_sb3()
    from stable_baselines3.common.logger import CSVOutputFormat, KVWriter, Logger

    run = Path(run)
    ckpt = None
    if resume:
        saved = TrainConfig.load(run / "config.json")
        default_shaping(saved, say=lambda _s: None)  # a config written with shaping null: the same defaults
        # the budget may grow on resume; everything else must be what the run was trained with
        diff = sorted(k for k, v in asdict(cfg).items() if asdict(saved).get(k) != v and k not in ("steps", "minutes"))
        if diff:
            raise ArenaError(f"{run}/config.json differs from this command in {diff}: resume with the same options")
        ckpt = latest_checkpoint(run)
        if ckpt is None:
            raise ArenaError(f"{run}: no checkpoint to resume from (checkpoints/model_*.zip); train without --resume")
    elif (run / "config.json").exists():
        raise ArenaError(f"{run} already holds a run: pass --resume to continue it, or choose another --out")
    run.mkdir(parents=True, exist_ok=True)
    cfg.save(run / "config.json")
    venv = make_vec(cfg)
    try:
        import torch

        torch.set_num_threads(1)  # the envs want the cores; a 64x64 MLP does not
        if ckpt is not None:
            model = sb3.PPO.load(ckpt, env=venv, device="cpu")
        else:
            model = sb3.PPO("MlpPolicy", venv, learning_rate=cfg.learning_rate, n_steps=cfg.n_steps,
                            batch_size=cfg.batch_size, n_epochs=cfg.n_epochs, gamma=cfg.gamma,
                            ent_coef=cfg.ent_coef, seed=cfg.seed, device="cpu", verbose=0, use_sde=cfg.use_sde,
                            policy_kwargs={"net_arch": {"pi": list(cfg.net), "vf": list(cfg.vf_net)},
                                           "log_std_init": cfg.log_std_init})
        tb = EventWriter(run)
        model.set_logger(Logger(str(run), [CSVOutputFormat(str(run / "progress.csv")), _tb_format(KVWriter, tb)]))
        cb = _callback_class()(cfg, run, tb, progress, say)
        budget = cfg.steps if cfg.steps is not None else 10**12
        remaining = max(0, budget - model.num_timesteps)
        model.learn(remaining, callback=cb, reset_num_timesteps=ckpt is None, progress_bar=False)
        cb.finish(model)
        return cb.summary(model)
    finally:
        venv.close()


def _tb_format(kv_writer, writer: EventWriter):
    """SB3 logger output -> TensorBoard scalars (SB3's own writer needs the tensorboard package);
    the class is built here, on SB3's KVWriter, so that importing this module does not import SB3."""

    class TBFormat(kv_writer):
        def write(self, key_values: dict, key_excluded: dict, step: int = 0) -> None:
            vals = {k: float(v) for k, v in key_values.items()
                    if isinstance(v, int | float | np.floating | np.integer) and math.isfinite(float(v))}
            writer.scalars(step, vals)

        def close(self) -> None:
            pass

    return TBFormat()


def _median(v: list[float]) -> float:
    return float(np.median(v)) if v else float("nan")


def _callback_class():
    """The SB3 callback class, built here so that importing this module does not import SB3."""
    from stable_baselines3.common.callbacks import BaseCallback

    class ArenaTrainCallback(_CallbackImpl, BaseCallback):
        pass

    return ArenaTrainCallback


class _CallbackImpl:
    """Evaluation, checkpoints, the minutes budget and the progress bar (mixed into BaseCallback)."""

    def __init__(self, cfg: TrainConfig, run: Path, tb: EventWriter, progress: bool, say):
        super().__init__(verbose=0)
        self.cfg, self.run, self.tb, self.say = cfg, run, tb, say
        self.start = time.monotonic()
        self.best = -math.inf
        self.last: list[dict] = []
        self.bar = None
        if progress:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("training"), BarColumn(), TextColumn("{task.completed:>9,.0f} steps"),
                                TextColumn("{task.fields[note]}"), TimeRemainingColumn())
            self.task = self.bar.add_task("train", total=cfg.steps, note="")
            self.bar.start()
        self.eval_csv = run / "eval.csv"
        if not self.eval_csv.exists():
            self.eval_csv.write_text("steps,seed,score,success,time\n")
        for s, _seed in self._rows():
            self.best = max(self.best, self._median_at(s))

    def _rows(self):
        with open(self.eval_csv, newline="") as f:
            return [(int(r["steps"]), int(r["seed"])) for r in csv.DictReader(f)]

    def _median_at(self, steps: int) -> float:
        pts = {s: m for s, m, _, _ in curve.read_eval(self.eval_csv)}
        return pts.get(steps, -math.inf)

    def _on_training_start(self) -> None:
        self.next_eval = (self.num_timesteps // self.cfg.eval_every + 1) * self.cfg.eval_every
        self.next_ckpt = (self.num_timesteps // self.cfg.checkpoint_every + 1) * self.cfg.checkpoint_every
        if self.num_timesteps == 0:
            self._evaluate(self.model)  # the untrained policy: the curve's first point

    def _on_step(self) -> bool:
        n = self.num_timesteps
        if self.bar is not None:
            self.bar.update(self.task, completed=n)
        if n >= self.next_eval:
            self._evaluate(self.model)
            self.next_eval += self.cfg.eval_every
        if n >= self.next_ckpt:
            self._checkpoint(self.model)
            self.next_ckpt += self.cfg.checkpoint_every
        if self.cfg.minutes is not None and time.monotonic() - self.start > self.cfg.minutes * 60:
            return False
        return True

    def _checkpoint(self, model) -> None:
        (self.run / "checkpoints").mkdir(exist_ok=True)
        model.save(self.run / "checkpoints" / f"model_{self.num_timesteps}.zip")

    def _evaluate(self, model) -> None:
        layers, act = mlp.from_sb3(model.policy)
        res = evaluate(layers, act, self.cfg, self.cfg.eval_seeds)
        with open(self.eval_csv, "a") as f:
            for r in res:
                f.write(f"{self.num_timesteps},{r['seed']},{r['score']:.6f},{int(r['success'])},{r['time']:.3f}\n")
        scores = [r["score"] for r in res]
        med = _median(scores)
        self.tb.scalars(self.num_timesteps, {"eval/score_median": med, "eval/score_min": min(scores),
                                             "eval/score_max": max(scores),
                                             "eval/success_rate": float(np.mean([r["success"] for r in res]))})
        self.last = res
        if med > self.best:
            self.best = med
            model.save(self.run / "best.zip")
        curve.plot({f"seed {self.cfg.seed}": curve.read_eval(self.eval_csv)}, self.run / "curve.png",
                   f"{self.cfg.world}: PPO")
        note = f"eval {self.num_timesteps:,}: score median {med:.1f} (min {min(scores):.1f}, max {max(scores):.1f})"
        if self.bar is not None:
            self.bar.update(self.task, note=f"median {med:.1f}")
        self.say(note)

    def finish(self, model) -> None:
        if not self.last or self._rows()[-1][0] != self.num_timesteps:
            self._evaluate(model)
        self._checkpoint(model)
        model.save(self.run / "model.zip")
        if self.bar is not None:
            self.bar.stop()
        self.tb.close()

    def summary(self, model) -> dict:
        return {"steps": int(model.num_timesteps), "best": self.best, "last": _median([r["score"] for r in self.last]),
                "minutes": (time.monotonic() - self.start) / 60}
