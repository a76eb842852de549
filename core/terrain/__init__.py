"""Reading the terrain a network trains on: the sharpness (the Hessian's top eigenvalue) against
2/lr, the loss surface around the weights, the gradient noise, and every weight with its last
step. Everything here reads a run of the training lab (core.lab.train.Trainer) and never changes
its weights, its optimiser or its generator.

objective: the training loss as a function of the weights training moves; sharpness: power
iteration on its Hessian; run: a lab run that tracks them as it trains; surface, noise, weights:
the other views; config: the lesson's settings and presets; script: the shown code."""
