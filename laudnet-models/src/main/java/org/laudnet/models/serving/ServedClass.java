package org.laudnet.models.serving;

/**
 * One class of a served prediction. Immutable and thread-safe.
 *
 * @param index the class index in the network's output
 * @param label the class name (the model's label, or the index as text)
 * @param probability the softmax probability
 */
public record ServedClass(int index, String label, double probability) {}
