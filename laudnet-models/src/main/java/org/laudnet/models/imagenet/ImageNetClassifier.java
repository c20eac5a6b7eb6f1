package org.laudnet.models.imagenet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.ImageNetLabels;
import org.laudnet.models.weights.KerasResNet50Importer;
import org.laudnet.models.weights.TfjsLayersModel;
import org.laudnet.models.weights.WeightFileException;

/**
 * Classifies photos with the pretrained ImageNet ResNet-50 (Keras weights from the asset cache), optionally as a
 * LAUD network with gates: top-k labels with softmax probabilities, plus the network's densities and MACs. The network
 * runs in its training form ({@link GatedNetwork#run} in eval mode, masked dense). Not thread-safe: one classifier per
 * thread.
 */
public final class ImageNetClassifier implements AutoCloseable {

    /**
     * One predicted class.
     *
     * @param index ImageNet class index
     * @param label class name (underscores shown as spaces)
     * @param probability softmax probability
     */
    public record Prediction(int index, String label, double probability) {}

    /**
     * The classification of one image.
     *
     * @param image the file
     * @param top the top-k predictions, most probable first
     * @param macsRatio dynamic MACs over static MACs of the network for this image
     */
    public record Classification(Path image, List<Prediction> top, double macsRatio) {}

    private final NDManager manager;
    private final GatedNetwork net;
    private final ImageNetLabels labels;
    private final CaffePreprocessing preprocessing = new CaffePreprocessing();

    private ImageNetClassifier(NDManager manager, GatedNetwork net, ImageNetLabels labels) {
        this.manager = manager;
        this.net = net;
        this.labels = labels;
    }

    /**
     * Loads the ResNet-50 weights and labels from the cache into the given (gated or static) architecture.
     *
     * @param cache the asset cache
     * @param builder a builder from {@link KerasResNet50Importer#builder()}, possibly with stage gates
     * @return the classifier
     * @throws WeightFileException if the weights or labels are missing or corrupt
     */
    public static ImageNetClassifier load(AssetCache cache, LaudResNet.Builder builder) throws WeightFileException {
        TfjsLayersModel model = cache.readResNet50();
        ImageNetLabels labels = ImageNetLabels.load(cache.imageNetLabelsJson());
        NDManager manager = NDManager.newBaseManager();
        try {
            GatedBackbone net = builder.build();
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 224, 224));
            KerasResNet50Importer.load(model, net);
            return new ImageNetClassifier(manager, net, labels);
        } catch (WeightFileException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Returns the network. */
    public GatedNetwork network() {
        return net;
    }

    /** Returns the ImageNet class labels the classifier names its predictions with. */
    public ImageNetLabels labels() {
        return labels;
    }

    /**
     * Classifies one image.
     *
     * @param image the image file
     * @param k how many classes to return
     * @return the top-k classes
     * @throws IOException if the image cannot be read or decoded
     */
    public Classification classify(Path image, int k) throws IOException {
        if (k <= 0 || k > labels.size()) {
            throw new IllegalArgumentException("k must be in [1, " + labels.size() + "], got " + k);
        }
        try (NDManager step = manager.newSubManager()) {
            NDArray x = preprocessing.load(step, image);
            NetworkResult r = net.run(new ParameterStore(step, false), x, false);
            float[] p = r.logits().softmax(1).toFloatArray();
            List<Prediction> top = new ArrayList<>();
            boolean[] used = new boolean[p.length];
            for (int t = 0; t < k; t++) {
                int best = -1;
                for (int i = 0; i < p.length; i++) {
                    if (!used[i] && (best < 0 || p[i] > p[best])) {
                        best = i;
                    }
                }
                used[best] = true;
                top.add(new Prediction(best, labels.displayName(best), p[best]));
            }
            double ratio = r.dynamicMacs().getFloat() / net.staticMacs();
            return new Classification(image, List.copyOf(top), ratio);
        }
    }

    /** Releases the network's parameters. */
    @Override
    public void close() {
        manager.close();
    }
}
