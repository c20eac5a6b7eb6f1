/**
 * Image preprocessing: how a model turns a decoded image into its input tensor. {@link ImagePreprocessing} makes
 * {@code (C, crop, crop)} from a decoded image: resize the shorter side (bilinear), centre crop, channel order (RGB,
 * BGR or gray), then per channel {@code (v - mean[c]) / std[c]} on 0..255 values; presets
 * {@link ImagePreprocessing#caffe()} (the Keras/Caffe preprocessing of the original ResNet-50: 256 / 224, BGR, mean
 * subtraction) and {@link ImagePreprocessing#torchvision()}. Model files record it, so a loaded model classifies
 * images exactly as it was trained; training data is preprocessed by the same code. Immutable and thread-safe.
 *
 * Classification with the pretrained ResNet-50 or any saved model goes through {@link org.laudnet.models.inference}.
 */
package org.laudnet.models.imagenet;
