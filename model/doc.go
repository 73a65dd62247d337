// Package model holds the networks of cosmogan: the layers with their forward
// and backward passes side by side, the generator, discriminator, truncated
// discriminator and encoder of Tables A.1/A.2 of Ullmo et al. (2021), the
// losses, Adam, the GAN and autoencoder training steps, and checkpoints.
//
// A network keeps all its trainable parameters in one contiguous []float32 and
// all their gradients in another (plus one for non-trained state such as batch
// norm running statistics), so that one all-reduce moves every gradient of a
// step and a checkpoint is one write. Layers hold views into those buffers.
package model
