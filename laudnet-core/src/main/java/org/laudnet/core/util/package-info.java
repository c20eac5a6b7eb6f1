/**
 * Small utilities every package uses.
 *
 * <ul>
 *   <li>{@link Checks}: argument validation that throws {@link IllegalArgumentException} with a message naming the
 *       offending parameter and its value (positive, in range, divides, rank, no NaN).
 *   <li>{@link ScalarOps}: arithmetic between an array and a constant that is safe under autograd: the constant is
 *       created in the manager of the array, so it lives until the backward pass has read it.
 *   <li>{@link LaudnetHome}: the one rule for the directory of fetched assets and measured profiles
 *       ({@code -Dlaudnet.home}, else {@code $LAUDNET_HOME}, else {@code $HOME/.laudnet}).
 *   <li>{@link ArrayWrites}: values written into an existing array (imported or copied parameters) as an in-place
 *       copy, without DJL's buffer-swapping {@code set}, which makes PyTorch print a deprecation warning.
 * </ul>
 *
 * Stateless and thread-safe.
 */
package org.laudnet.core.util;
