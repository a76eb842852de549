"""The lesson "inside a training run": hooks, frozen layers and the runs its views train (the
lab's checkpoints and TensorBoard logs live with the lab, core/lab)."""
