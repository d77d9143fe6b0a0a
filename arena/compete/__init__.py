"""Competition: evaluation, tournaments and their backends, the results store, ratings,
submissions, replays and leaderboard reports. Never imports pybullet directly."""
