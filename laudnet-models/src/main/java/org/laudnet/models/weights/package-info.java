/**
 * Weight files and pretrained assets: reading, writing and importing tensors into gated networks.
 *
 * <ul>
 *   <li>{@link SafetensorsReader} and {@link SafetensorsWriter} (header validated before any data is read; F32, F16,
 *       BF16, F64, I64, I32 read as float, {@link SafetensorsDType}, {@link SafetensorsEntry}; atomic writes), and the
 *       in-memory {@link TensorFile} of row-major {@link NamedTensor}s.
 *   <li>{@link TfjsLayersModel}: a Keras model in the TensorFlow.js layers format (topology as {@link KerasLayer} and
 *       {@link KerasLayerConfig}, float32 shards); {@link WeightLayouts} converts Keras layouts (HWIO kernels,
 *       {@code [in, out]} dense kernels) to DJL's OIHW and {@code [out, in]}.
 *   <li>{@link KerasResNet50Importer}: the Keras ResNet-50 ("v1") into a {@link org.laudnet.models.resnet.LaudResNet}
 *       network, convolution biases folded into the BatchNorm running means; {@link TorchvisionImporter}: ResNet and
 *       RegNetY weights named as torchvision's {@code state_dict}, as safetensors or PyTorch checkpoints (subpackage
 *       {@code torch}), both ways; ResNet gates under the LAUDNet reference's names. Every name and shape is checked
 *       before any parameter is written; without gate tensors, gates keep their fresh (open) initialisation.
 *   <li>{@link AssetCache} (the local asset directory, by default the LAUDNet home of
 *       {@link org.laudnet.core.util.LaudnetHome}: {@code -Dlaudnet.home}, else {@code $LAUDNET_HOME}, else
 *       {@code $HOME/.laudnet}) and {@link ImageNetLabels} (class names).
 * </ul>
 *
 * Every unreadable or inconsistent file is a {@link WeightFileException} naming the file and, where it applies, the
 * tensor. Readers and importers are stateless; a network must not be trained while weights are imported into it.
 */
package org.laudnet.models.weights;
