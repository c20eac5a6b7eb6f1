/**
 * The oneDNN CPU backend of the inference engine: {@link org.laudnet.onednn.OneDnnBackend} (id {@code onednn}) and
 * its kernels on oneDNN 3.x through the org.bytedeco Java presets, offered to {@code Backends} by
 * {@link org.laudnet.onednn.OneDnnBackendProvider} as the preferred CPU backend where its natives load. The backend
 * owns its threads (one OpenMP team per executor thread, sized by the backend; see {@link org.laudnet.onednn.OneDnn})
 * and reorders a plan's weights when the plan is loaded, into the layouts of the dense primitives and of the sparse
 * paths its blocks may take, so that no inference reorders the model's weights (a channel pattern's slices are
 * reordered once, when the pattern first runs).
 */
package org.laudnet.onednn;
