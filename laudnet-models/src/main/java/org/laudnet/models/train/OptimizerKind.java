package org.laudnet.models.train;

/** The optimizer of a fine-tuning run. */
public enum OptimizerKind {
    /** SGD with momentum and weight decay (the paper's recipe). */
    SGD,
    /** AdamW (decoupled weight decay). */
    ADAMW
}
