"""`arena train` (PPO on a world: logs, evaluation, curve, checkpoints, resume), `arena export`
(a trained policy -> a numpy-only agent folder and a pybricks program) and `arena curves` (the
learning curves of several runs in one picture). docs/training.md is the guide."""

from __future__ import annotations

from pathlib import Path

from arena.cli.console import number
from arena.errors import ArenaError


def _ints(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ArenaError(f"--eval-seeds {text!r}: give whole numbers separated by commas, e.g. 1000,1001,1002") from None


def add_parsers(sub) -> None:
    from arena.learn.train import VEC_KINDS, TrainConfig

    d = TrainConfig()
    p = sub.add_parser("train", help="train a PPO policy (Stable-Baselines3) on a world: logs, curve, checkpoints")
    p.add_argument("--world", default=d.world, help="world name or path (default: %(default)s)")
    p.add_argument("--robot", default=None, help="robot name or path (default: the world's)")
    p.add_argument("--out", required=True, help="run folder (config, logs, eval.csv, curve.png, checkpoints)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--steps", type=int, default=d.steps, help="budget in env steps (default: %(default)s)")
    p.add_argument("--minutes", type=number(above=0), default=None, help="budget in wall-clock minutes (whichever ends first)")
    p.add_argument("--envs", type=int, default=d.n_envs, help="parallel envs (default: %(default)s)")
    p.add_argument("--vec", choices=VEC_KINDS, default=d.vec, help="vector env (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None, help="processes for --vec batched (default: one per CPU)")
    p.add_argument("--obs-keys", default=None, help="observation keys, comma separated (default: every key)")
    p.add_argument("--stack", type=int, default=d.stack, help="stack the last K observations (default: %(default)s)")
    p.add_argument("--shaping", default=None,
                   help="shaping terms by name, comma separated; '' for none (default: the world's default terms, "
                        "its [[shaping]] tables with default = true)")
    p.add_argument("--action-mode", choices=("duty", "speed"), default=d.action_mode)
    p.add_argument("--control-dt", type=number(above=0), default=d.control_dt,
                   help="s per decision, a multiple of 0.01: the agent holds each action that long (default: %(default)s)")
    p.add_argument("--lost-after", type=number(above=0), default=None,
                   help="mm from the world's scored path that ends a training episode (default: never)")
    p.add_argument("--random-start", action="store_true",
                   help="training episodes start anywhere along the world's scored path (evaluation never does)")
    p.add_argument("--episode-seconds", type=number(above=0), default=None, help="training episode length (default: the world's)")
    p.add_argument("--eval-every", type=int, default=d.eval_every, help="env steps between evaluations")
    p.add_argument("--eval-seeds", default=",".join(map(str, d.eval_seeds)), help="held-out evaluation seeds")
    p.add_argument("--eval-seconds", type=number(above=0), default=None, help="evaluation episode length (default: the world's)")
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    p.add_argument("--lr", type=number(above=0), default=d.learning_rate)
    p.add_argument("--n-steps", type=int, default=d.n_steps, help="rollout length per env per update")
    p.add_argument("--ent-coef", type=number(at_least=0), default=d.ent_coef)
    p.add_argument("--log-std-init", type=number(), default=d.log_std_init)
    p.add_argument("--sde", action="store_true", help="state-dependent exploration (gSDE) instead of white noise")
    p.add_argument("--net", default=",".join(map(str, d.net)), help="hidden layer sizes (default: %(default)s)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (logs only)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="a trained policy -> a submittable numpy agent and a pybricks program")
    p.add_argument("policy", help="an `arena train` run folder, or a model .zip inside one")
    p.add_argument("--out", required=True, help="agent folder to write (controller.py, policy.npz, agent.toml)")
    p.add_argument("--pybricks", default=None, help="also write a pybricks program folder here (main.py)")
    p.add_argument("--name", default=None, help="agent name (default: the folder's name)")
    p.add_argument("--best", action="store_true", help="export best.zip (best evaluation) instead of model.zip")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("curves", help="plot the learning curves of several `arena train` runs in one PNG")
    p.add_argument("runs", nargs="+", help="run folders (each with an eval.csv)")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--title", default="learning curves")
    p.add_argument("--across", action="store_true",
                   help="draw the median over the runs (training seeds) with their min-max band, each run a thin line")
    p.set_defaults(func=cmd_curves)


def cmd_train(args) -> int:
    from arena.learn.train import TrainConfig, train

    try:
        net = [int(x) for x in args.net.split(",") if x.strip()]
    except ValueError:
        raise ArenaError(f"--net {args.net!r}: give layer sizes separated by commas, e.g. 64,64") from None
    cfg = TrainConfig(world=args.world, robot=args.robot, seed=args.seed, steps=args.steps, minutes=args.minutes,
                      n_envs=args.envs, vec=args.vec, workers=args.workers,
                      obs_keys=[k.strip() for k in args.obs_keys.split(",")] if args.obs_keys else None,
                      stack=args.stack,
                      shaping=None if args.shaping is None else [s.strip() for s in args.shaping.split(",") if s.strip()],
                      action_mode=args.action_mode, control_dt=args.control_dt, lost_after=args.lost_after, random_start=args.random_start,
                      episode_seconds=args.episode_seconds,
                      eval_every=args.eval_every, eval_seeds=_ints(args.eval_seeds), eval_seconds=args.eval_seconds,
                      checkpoint_every=args.checkpoint_every, learning_rate=args.lr, n_steps=args.n_steps,
                      ent_coef=args.ent_coef, log_std_init=args.log_std_init, use_sde=args.sde, net=net)
    try:
        s = train(cfg, Path(args.out), resume=args.resume, progress=not args.no_progress)
    except ValueError as exc:  # a bad world/robot/key/shaping name reaches here from the env
        raise ArenaError(str(exc)) from None
    print(f"trained {s['steps']:,} steps in {s['minutes']:.1f} min: last evaluation median {s['last']:.1f}, "
          f"best {s['best']:.1f}; run folder {args.out}")
    return 0


def cmd_export(args) -> int:
    from arena.learn.export import export

    rep = export(Path(args.policy), Path(args.out), pybricks=Path(args.pybricks) if args.pybricks else None,
                 name=args.name, best=args.best)
    print(f"agent folder {rep['agent']}: numpy controller, max |action - torch action| = {rep['max_error']:.2e}")
    ops = rep["operations"]
    print(f"network: {ops['parameters']} parameters; per step {ops['multiply_adds']} multiply-adds, "
          f"{ops['activations']} activations")
    if rep.get("pybricks"):
        print(f"pybricks program {rep['pybricks']} (pure Python; see docs/training.md for its cost on the EV3)")
    return 0


def cmd_curves(args) -> int:
    from arena.learn import curve

    runs = {}
    for r in args.runs:
        f = Path(r) / "eval.csv"
        if not f.is_file():
            raise ArenaError(f"{f}: no eval.csv: give `arena train` run folders")
        key = Path(r).name if Path(r).name not in runs else r  # two runs of one name stay two runs
        runs[key if key not in runs else f"{r} ({len(runs) + 1})"] = curve.read_eval(f)
    if args.across:
        agg = curve.across(runs)
        if not agg:
            raise ArenaError("--across: the runs share no evaluation step: give runs with the same --eval-every")
        curve.plot({f"median of {len(runs)} runs": agg}, Path(args.out), args.title, thin=runs,
                   legend="score: median over runs of each run's median over eval seeds, band: min-max over runs")
        for s, m, lo, hi in agg:
            print(f"{s:>9,} steps: median {m:.1f} (min {lo:.1f}, max {hi:.1f}) over {len(runs)} runs")
    else:
        curve.plot(runs, Path(args.out), args.title)
    print(f"wrote {args.out}")
    return 0
