package org.laudnet.models.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;

/**
 * Strict readers of JSON header fields for {@link ArchitectureFactory} implementations and model files: each returns
 * the field's value or throws an {@link IllegalArgumentException} naming the field and saying what is wrong (missing,
 * of the wrong JSON type, fractional where an integer is needed, out of range). Stateless and thread-safe.
 */
public final class JsonFields {

    private JsonFields() {}

    /**
     * Returns a required field.
     *
     * @param o the object
     * @param key the field name
     * @return the element, never JSON null
     * @throws IllegalArgumentException if the field is missing or null
     */
    public static JsonElement required(JsonObject o, String key) {
        if (o == null) {
            throw new IllegalArgumentException("no object to read field '" + key + "' from");
        }
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("header has no field '" + key + "'");
        }
        return e;
    }

    /**
     * Returns a required JSON object field.
     *
     * @param o the object
     * @param key the field name
     * @return the nested object
     * @throws IllegalArgumentException if the field is missing or not an object
     */
    public static JsonObject object(JsonObject o, String key) {
        JsonElement e = required(o, key);
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException("field '" + key + "' must be a JSON object, got " + abbreviate(e));
        }
        return e.getAsJsonObject();
    }

    /**
     * Returns a required JSON array field.
     *
     * @param o the object
     * @param key the field name
     * @return the array
     * @throws IllegalArgumentException if the field is missing or not an array
     */
    public static JsonArray array(JsonObject o, String key) {
        JsonElement e = required(o, key);
        if (!e.isJsonArray()) {
            throw new IllegalArgumentException("field '" + key + "' must be a JSON array, got " + abbreviate(e));
        }
        return e.getAsJsonArray();
    }

    /**
     * Returns a required string field.
     *
     * @param o the object
     * @param key the field name
     * @return the string
     * @throws IllegalArgumentException if the field is missing or not a string
     */
    public static String string(JsonObject o, String key) {
        JsonElement e = required(o, key);
        if (!(e instanceof JsonPrimitive p) || !p.isString()) {
            throw new IllegalArgumentException("field '" + key + "' must be a string, got " + abbreviate(e));
        }
        return p.getAsString();
    }

    /**
     * Returns a required boolean field.
     *
     * @param o the object
     * @param key the field name
     * @return the value
     * @throws IllegalArgumentException if the field is missing or not a boolean
     */
    public static boolean bool(JsonObject o, String key) {
        JsonElement e = required(o, key);
        if (!(e instanceof JsonPrimitive p) || !p.isBoolean()) {
            throw new IllegalArgumentException("field '" + key + "' must be true or false, got " + abbreviate(e));
        }
        return p.getAsBoolean();
    }

    /**
     * Returns a required integer field.
     *
     * @param o the object
     * @param key the field name
     * @return the value
     * @throws IllegalArgumentException if the field is missing, not a number, fractional or outside the int range
     */
    public static int integer(JsonObject o, String key) {
        return integer(required(o, key), "field '" + key + "'");
    }

    /**
     * Returns a required long integer field.
     *
     * @param o the object
     * @param key the field name
     * @return the value
     * @throws IllegalArgumentException if the field is missing, not a number, fractional or outside the long range
     */
    public static long longInteger(JsonObject o, String key) {
        BigDecimal d = decimal(required(o, key), "field '" + key + "'");
        try {
            return d.longValueExact();
        } catch (ArithmeticException ex) {
            throw new IllegalArgumentException("field '" + key + "' must be a 64-bit integer, got " + d);
        }
    }

    /**
     * Returns a required finite number field.
     *
     * @param o the object
     * @param key the field name
     * @return the value
     * @throws IllegalArgumentException if the field is missing, not a number or not finite
     */
    public static double number(JsonObject o, String key) {
        return number(required(o, key), "field '" + key + "'");
    }

    /**
     * Reads an element as an integer.
     *
     * @param e the element
     * @param what what it is, for the error message
     * @return the value
     * @throws IllegalArgumentException if it is not a number, fractional or outside the int range
     */
    public static int integer(JsonElement e, String what) {
        BigDecimal d = decimal(e, what);
        try {
            return d.intValueExact();
        } catch (ArithmeticException ex) {
            throw new IllegalArgumentException(what + " must be a 32-bit integer, got " + d);
        }
    }

    /**
     * Reads an element as a finite number.
     *
     * @param e the element
     * @param what what it is, for the error message
     * @return the value
     * @throws IllegalArgumentException if it is not a finite number
     */
    public static double number(JsonElement e, String what) {
        double v = decimal(e, what).doubleValue();
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be a finite number, got " + v);
        }
        return v;
    }

    private static BigDecimal decimal(JsonElement e, String what) {
        if (!(e instanceof JsonPrimitive p) || !p.isNumber()) {
            throw new IllegalArgumentException(what + " must be a number, got " + abbreviate(e));
        }
        try {
            return p.getAsBigDecimal();
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException(what + " must be a number, got " + abbreviate(e));
        }
    }

    /**
     * Parses an enum constant by name.
     *
     * @param type the enum class
     * @param o the object
     * @param key the field name
     * @param <E> the enum type
     * @return the constant
     * @throws IllegalArgumentException naming the field and the allowed names if the value is not a constant
     */
    public static <E extends Enum<E>> E enumValue(Class<E> type, JsonObject o, String key) {
        String s = string(o, key);
        try {
            return Enum.valueOf(type, s);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("field '" + key + "' must be one of "
                    + java.util.Arrays.toString(type.getEnumConstants()) + ", got '" + abbreviate(s) + "'");
        }
    }

    private static String abbreviate(JsonElement e) {
        return e == null ? "nothing" : abbreviate(e.toString());
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }
}
