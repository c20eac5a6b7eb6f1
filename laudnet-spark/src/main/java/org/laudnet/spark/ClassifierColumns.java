package org.laudnet.spark;

import java.util.List;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The columns {@link LaudImageClassifier} appends, named from its {@code outputCol} prefix {@code P} and its
 * {@code errorCol} {@code E}:
 *
 * <table>
 *   <caption>output columns</caption>
 *   <tr><th>column</th><th>type</th><th>value</th></tr>
 *   <tr><td>{@code P_classes}</td><td>{@code array<struct<index:int, label:string, probability:double>>}</td>
 *       <td>the {@code topK} most probable classes, most probable first (ties in class order); null for a row with an
 *       error</td></tr>
 *   <tr><td>{@code P_macs_ratio}</td><td>{@code double}</td><td>the MACs the gates chose for the image over the static
 *       network's, {@code F_dyn / F_static} (maskers included); null for a row with an error</td></tr>
 *   <tr><td>{@code P_stage_densities}</td><td>{@code array<struct<stage:int, d1:double, d2:double, d3:double,
 *       dc:double>>}</td><td>per stage (from 0) the mean densities of its blocks for this image (spatial {@code d1,
 *       d2, d3}, channel {@code dc}; 1 where a block has no gate); null for a row with an error</td></tr>
 *   <tr><td>{@code E}</td><td>{@code string}</td><td>null, or why the row's image was refused (the message names the
 *       image's path or origin and the problem)</td></tr>
 * </table>
 *
 * <p>Stateless and thread-safe.
 */
public final class ClassifierColumns {

    /** Suffix of the classes column. */
    public static final String CLASSES = "_classes";
    /** Suffix of the MACs-ratio column. */
    public static final String MACS_RATIO = "_macs_ratio";
    /** Suffix of the stage-densities column. */
    public static final String STAGE_DENSITIES = "_stage_densities";

    /** One class: {@code struct<index:int, label:string, probability:double>}. */
    public static final StructType CLASS = new StructType(new StructField[] {
        DataTypes.createStructField("index", DataTypes.IntegerType, false),
        DataTypes.createStructField("label", DataTypes.StringType, false),
        DataTypes.createStructField("probability", DataTypes.DoubleType, false)});

    /** One stage's densities: {@code struct<stage:int, d1:double, d2:double, d3:double, dc:double>}. */
    public static final StructType STAGE = new StructType(new StructField[] {
        DataTypes.createStructField("stage", DataTypes.IntegerType, false),
        DataTypes.createStructField("d1", DataTypes.DoubleType, false),
        DataTypes.createStructField("d2", DataTypes.DoubleType, false),
        DataTypes.createStructField("d3", DataTypes.DoubleType, false),
        DataTypes.createStructField("dc", DataTypes.DoubleType, false)});

    /** The classes column's type. */
    public static final ArrayType CLASSES_TYPE = DataTypes.createArrayType(CLASS, false);
    /** The stage-densities column's type. */
    public static final ArrayType STAGES_TYPE = DataTypes.createArrayType(STAGE, false);

    private ClassifierColumns() {}

    /**
     * Returns the names of the appended columns, in order.
     *
     * @param prefix the {@code outputCol} prefix
     * @param errorCol the error column
     * @return classes, MACs ratio, stage densities, error
     */
    public static List<String> names(String prefix, String errorCol) {
        return List.of(prefix + CLASSES, prefix + MACS_RATIO, prefix + STAGE_DENSITIES, errorCol);
    }

    /**
     * Returns the appended fields, in order (all nullable: a row with an error has null predictions).
     *
     * @param prefix the {@code outputCol} prefix
     * @param errorCol the error column
     * @return the fields
     */
    public static List<StructField> fields(String prefix, String errorCol) {
        List<String> n = names(prefix, errorCol);
        List<DataType> types = List.of(CLASSES_TYPE, DataTypes.DoubleType, STAGES_TYPE, DataTypes.StringType);
        return java.util.stream.IntStream.range(0, n.size())
                .mapToObj(i -> DataTypes.createStructField(n.get(i), types.get(i), true)).toList();
    }
}
