/**
 * The library's inference API in DJL's idiom: {@link org.laudnet.models.inference.LaudModel} (load a {@code .laud}
 * file, share it across threads), {@link org.laudnet.models.inference.LaudPredictor} (a DJL {@code Predictor}, one per
 * thread, running the gated network through the inference engine), translators for images and tensors with
 * per-input gate reports, and the DJL engine ({@link org.laudnet.models.inference.LaudEngine}) and translator factory
 * through which DJL's {@code Criteria} loads LAUD models.
 */
package org.laudnet.models.inference;
