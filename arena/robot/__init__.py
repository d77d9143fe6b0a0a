"""Robots: the build file (`spec`), its checks (`check`), the multibody made from it
(`assembly`), the robot in a running world (`body`), pictures (`draw`) and URDF export (`urdf`)."""
