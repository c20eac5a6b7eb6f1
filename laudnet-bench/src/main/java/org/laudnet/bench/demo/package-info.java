/**
 * The single-block gate demonstration ({@code laudnet demo --gates}): {@link GateDemo} runs one gated ResNet-50
 * bottleneck per gate mode in training and eval mode on a random batch and reports its mask densities and MACs.
 */
package org.laudnet.bench.demo;
