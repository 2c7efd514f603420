package org.wal4j.bench.peers;

import org.HdrHistogram.Histogram;

/**
 * One measured cell of the peer benchmark: one peer in one row of one round.
 *
 * @param row the row
 * @param peer the peer's name
 * @param round the round, from 1
 * @param rate operations (or MB) per second over the measured part
 * @param latencyNanos per-operation latency, or null where one figure is the result
 * @param micros for one-shot rows (open), the time in microseconds; else NaN
 * @param notApplicable why the peer has no figure in this row, or null
 */
record Cell(PeerBench.Row row, String peer, int round, double rate, Histogram latencyNanos, double micros,
            String notApplicable) {
    static Cell na(PeerBench.Row row, String peer, int round, String why) {
        return new Cell(row, peer, round, Double.NaN, null, Double.NaN, why);
    }

    static Cell rate(PeerBench.Row row, String peer, int round, double rate, Histogram latencyNanos) {
        return new Cell(row, peer, round, rate, latencyNanos, Double.NaN, null);
    }

    static Cell time(PeerBench.Row row, String peer, int round, double micros) {
        return new Cell(row, peer, round, Double.NaN, null, micros, null);
    }

    double percentileMicros(double p) {
        return latencyNanos == null || latencyNanos.getTotalCount() == 0 ? Double.NaN
                : latencyNanos.getValueAtPercentile(p) / 1e3;
    }
}
