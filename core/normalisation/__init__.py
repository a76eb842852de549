"""Normalisation layers, as the course teaches them (its lessons 26 and 27).

batchnorm: BatchNorm1d's running statistics pass by pass beside the course's hand update (and the
unbiased variance torch keeps in them), train() against eval(), and the shapes of the running
statistics, weight and bias for 1d, 2d and 3d.
layers: BatchNorm, LayerNorm, InstanceNorm and GroupNorm on the course's tensors, each output
recomputed by hand over the block of the N × C × (H·W) cube it normalises together.
"""
