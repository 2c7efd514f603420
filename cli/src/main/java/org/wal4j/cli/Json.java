package org.wal4j.cli;

import java.util.List;
import java.util.Map;

/** The inspect commands' JSON: flat objects of strings, numbers and booleans, and one list of such objects. */
final class Json {
    private Json() {}

    /** {@code facts} as an object, with {@code rows} under {@code listName} unless empty. */
    static String object(Map<String, Object> facts, String listName, List<Map<String, Object>> rows) {
        StringBuilder sb = new StringBuilder(256 + 128 * rows.size());
        sb.append('{');
        fields(sb, facts);
        if (!rows.isEmpty()) {
            sb.append(facts.isEmpty() ? "" : ", ").append(JsonReport.quote(listName)).append(": [");
            for (int i = 0; i < rows.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(line(rows.get(i)));
            }
            sb.append(']');
        }
        return sb.append('}').toString();
    }

    /** One object on one line (a JSON Lines record). */
    static String line(Map<String, Object> fields) {
        StringBuilder sb = new StringBuilder(128).append('{');
        fields(sb, fields);
        return sb.append('}').toString();
    }

    private static void fields(StringBuilder sb, Map<String, Object> fields) {
        String sep = "";
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            sb.append(sep).append(JsonReport.quote(e.getKey())).append(": ");
            Object v = e.getValue();
            if (v == null) {
                sb.append("null");
            } else if (v instanceof Number || v instanceof Boolean) {
                sb.append(v);
            } else {
                sb.append(JsonReport.quote(v.toString()));
            }
            sep = ", ";
        }
    }
}
