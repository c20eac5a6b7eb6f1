/**
 * PyTorch checkpoints ({@code torch.save} files: torchvision's {@code resnet50-*.pth}, LAUDNet's {@code .pth.tar}),
 * read safely.
 *
 * <ul>
 *   <li>{@link org.laudnet.models.weights.torch.TorchCheckpointReader}: the zip container of PyTorch 1.6 and later
 *       ({@code <archive>/data.pkl}, {@code data/<key>} storages, {@code byteorder}, {@code version}); every entry
 *       stored, every size checked against the file before it is allocated; and the legacy (pre-1.6) format
 *       (package-private {@code LegacyCheckpointReader}: pickles, then storages; views of PyTorch before 1.0 refused).
 *   <li>A restricted unpickler (package-private {@code RestrictedUnpickler}): protocol 2 to 5 binary opcodes, values
 *       built as Java objects, nothing named by the file ever resolved or executed; only
 *       {@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2}, {@code _rebuild_parameter},
 *       {@code torch.Size} and the storage classes of {@link org.laudnet.models.weights.torch.TorchDType} accepted;
 *       anything else is an {@link org.laudnet.models.weights.torch.UnsafePickleException} naming the global. Stack,
 *       memo, nesting, lengths and materialised elements are bounded.
 *   <li>{@link org.laudnet.models.weights.torch.TorchTensor}: tensors materialised dense and row-major from any view
 *       (offset, strides, shared storages), float32/64, float16, bfloat16, integers and booleans;
 *       {@link org.laudnet.models.weights.torch.TorchCheckpoint}: the root object and its state dict
 *       ({@code state_dict} nested in a checkpoint dict, {@code module.} prefixes of {@code DataParallel} removed).
 *   <li>{@link org.laudnet.models.weights.torch.TorchWeights}: the state dict for the importers, torchvision names or
 *       the LAUDNet reference's gate names ({@code masker_spatial}, {@code masker_channel}) told apart;
 *       {@link org.laudnet.models.weights.torch.TorchCheckpointWriter}: float32 state dicts that {@code torch.load}
 *       reads.
 * </ul>
 *
 * Refusals are {@link org.laudnet.models.weights.torch.TorchCheckpointException}s (a
 * {@link org.laudnet.models.weights.WeightFileException}, so a {@link org.laudnet.core.io.LaudInputException}) naming
 * the file and the entry or tensor. Readers and writers are stateless and thread-safe.
 */
package org.laudnet.models.weights.torch;
