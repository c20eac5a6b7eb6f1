package org.laudnet.spark;

import ai.djl.translate.TranslateException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.exec.GateReport;
import org.laudnet.models.inference.GatedClassifications;
import org.laudnet.models.inference.LaudPredictor;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The work of {@link LaudImageClassifier} on one partition: takes a lease on the JVM's model
 * ({@link LaudModelCache}), makes this task's predictor, and classifies the rows {@code batchSize} at a time. Each row
 * is decoded alone (a refused image becomes that row's error); the decoded images of a batch run as one call; a batch
 * whose call is refused is retried image by image so that only the refused image carries the error. The predictor and
 * the lease are released when the task completes (or the rows run out outside a task). Rows keep their input columns
 * and get the {@link ClassifierColumns}. Serializable; one instance per transform, called by many tasks (it keeps no
 * state between calls).
 */
final class PartitionClassifier implements MapPartitionsFunction<Row, Row>, Serializable {

    private static final long serialVersionUID = 1L;

    /** How the input column holds the image. */
    enum InputKind {
        /** Encoded image bytes. */
        BINARY,
        /** Spark's image struct. */
        IMAGE
    }

    /**
     * The settings of one transform.
     *
     * @param source the model
     * @param inputIndex the input column's index
     * @param kind how it holds images
     * @param pathIndex the index of a string column naming each row's file (for messages), or -1
     * @param inputName the input column's name (for messages when there is no path)
     * @param topK classes per row
     * @param batchSize images per call
     */
    record Settings(ModelSource source, int inputIndex, InputKind kind, int pathIndex, String inputName, int topK,
            int batchSize) implements Serializable {}

    private final Settings settings;

    PartitionClassifier(Settings settings) {
        this.settings = settings;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) throws Exception {
        if (!rows.hasNext()) {
            return rows;
        }
        LaudModelCache.Lease lease = LaudModelCache.jvm().acquire(settings.source());
        LaudPredictor<BufferedImage, GatedClassifications> predictor;
        try {
            predictor = lease.model().newClassifier(BufferedImage.class, settings.topK());
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
        Runnable release = () -> {
            predictor.close();
            lease.close();
        };
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener(new ReleaseListener(release));
        }
        return new Batches(rows, predictor, task == null ? release : null);
    }

    /** Releases the predictor and the lease when the task ends, whether its rows were all read or not. */
    private record ReleaseListener(Runnable release) implements org.apache.spark.util.TaskCompletionListener {
        @Override
        public void onTaskCompletion(TaskContext context) {
            release.run();
        }
    }

    /** The output rows, computed a batch at a time as they are read. */
    private final class Batches implements Iterator<Row> {
        private final Iterator<Row> in;
        private final LaudPredictor<BufferedImage, GatedClassifications> predictor;
        private Runnable releaseAtEnd;
        private final List<Row> ready = new ArrayList<>();
        private int next;

        Batches(Iterator<Row> in, LaudPredictor<BufferedImage, GatedClassifications> predictor,
                Runnable releaseAtEnd) {
            this.in = in;
            this.predictor = predictor;
            this.releaseAtEnd = releaseAtEnd;
        }

        @Override
        public boolean hasNext() {
            if (next < ready.size()) {
                return true;
            }
            ready.clear();
            next = 0;
            if (!in.hasNext()) {
                if (releaseAtEnd != null) {
                    releaseAtEnd.run();
                    releaseAtEnd = null;
                }
                return false;
            }
            List<Row> batch = new ArrayList<>(settings.batchSize());
            while (batch.size() < settings.batchSize() && in.hasNext()) {
                batch.add(in.next());
            }
            ready.addAll(classify(batch));
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.get(next++);
        }

        private List<Row> classify(List<Row> batch) {
            int n = batch.size();
            Object[][] appended = new Object[n][];
            List<BufferedImage> images = new ArrayList<>(n);
            List<Integer> decoded = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                try {
                    images.add(decode(batch.get(i)));
                    decoded.add(i);
                } catch (IOException | RuntimeException e) {
                    appended[i] = error(e);
                }
            }
            if (!images.isEmpty()) {
                List<Object[]> results = predict(images);
                for (int k = 0; k < decoded.size(); k++) {
                    appended[decoded.get(k)] = results.get(k);
                }
            }
            List<Row> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Row r = batch.get(i);
                Object[] values = new Object[r.length() + appended[i].length];
                for (int c = 0; c < r.length(); c++) {
                    values[c] = r.get(c);
                }
                System.arraycopy(appended[i], 0, values, r.length(), appended[i].length);
                out.add(RowFactory.create(values));
            }
            return out;
        }

        /** Predicts decoded images as one call, or one by one when the call is refused. */
        private List<Object[]> predict(List<BufferedImage> images) {
            List<Object[]> out = new ArrayList<>(images.size());
            try {
                for (GatedClassifications c : predictor.batchPredict(images)) {
                    out.add(values(c));
                }
                return out;
            } catch (TranslateException batchRefused) {
                for (BufferedImage image : images) {
                    try {
                        out.add(values(predictor.predict(image)));
                    } catch (TranslateException e) {
                        out.add(error(e));
                    }
                }
                return out;
            }
        }
    }

    private BufferedImage decode(Row row) throws IOException {
        String source = source(row);
        if (row.isNullAt(settings.inputIndex())) {
            throw new org.laudnet.models.inference.ImageInputException(source, "no image (null "
                    + settings.inputName() + ")");
        }
        return settings.kind() == InputKind.BINARY
                ? SparkImages.fromBytes((byte[]) row.get(settings.inputIndex()), source)
                : SparkImages.fromImageRow(row.getStruct(settings.inputIndex()), source);
    }

    private String source(Row row) {
        int p = settings.pathIndex();
        if (p >= 0 && !row.isNullAt(p)) {
            return row.getString(p);
        }
        return settings.inputName();
    }

    private static Object[] error(Exception e) {
        String m = e.getMessage();
        return new Object[] {null, null, null, m == null || m.isEmpty() ? e.getClass().getSimpleName() : m};
    }

    /** The appended values of one classified image. */
    private Object[] values(GatedClassifications c) {
        List<Double> p = c.getProbabilities();
        List<String> names = c.getClassNames();
        int k = Math.min(settings.topK(), p.size());
        Integer[] order = new Integer[p.size()];
        Arrays.setAll(order, i -> i);
        // most probable first, ties in class order (a stable sort of the class indices)
        Arrays.sort(order, (a, b) -> Double.compare(p.get(b), p.get(a)));
        List<Row> classes = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            int idx = order[i];
            classes.add(RowFactory.create(idx, names.get(idx), p.get(idx)));
        }
        GateReport report = c.gateReport();
        List<Row> stages = new ArrayList<>(report.stages());
        for (int s = 0; s < report.stages(); s++) {
            BlockDensities d = report.stageDensities(s, -1);
            stages.add(RowFactory.create(s, d.d1(), d.d2(), d.d3(), d.dc()));
        }
        // Spark's row encoder takes Scala sequences for arrays
        return new Object[] {CollectionConverters.asScala(classes), report.macsRatio(),
            CollectionConverters.asScala(stages), null};
    }
}
