package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Keeps the schema on the road of docs/scale.md: past one PostgreSQL primary, Keyhold's tables are distributed by
 * {@code merchant_id} (Citus), so every table's primary key starts with it — or the table is a reference table,
 * small and copied to every node, listed here with its reason. The tables that do not follow the rule yet are
 * listed too, each with what must change; the list may only shrink: a new table off the rule fails this test, and so
 * does a listed one that was moved without taking it off the list.
 */
class DistributionKeysTest {
  /** Copied to every node: read on most requests, written rarely, or global by nature. */
  static final Map<String, String> REFERENCE_TABLES = Map.of(
      "gateway_meta", "one row per setting of the whole installation",
      "gateway_instances", "one row per running gateway (heartbeats), no merchant",
      "merchant_stats_cursor", "one row: where the reliability fold has read to",
      "api_keys", "looked up by key hash before the merchant is known; a few rows per merchant",
      "key_fingerprints", "a key delivered twice is caught across shops: the index is global on purpose",
      "console_sessions", "found by the cookie's hash before the merchant is known; an operator's has no merchant",
      "flyway_schema_history", "the migrations applied");
  /** Tables keyed by something else today, and what must change before they can be distributed. */
  static final Map<String, String> NOT_YET = Map.of(
      "idempotency_records", "scope is the caller; add merchant_id (an order's merchant for buyers) and lead with it",
      "outbox", "gateway jobs without a merchant (payment notices) take their payment's merchant",
      "payments", "found by the provider's transaction id: notices must name the order (they do) and look it up first",
      "payment_starts", "as payments",
      "refunds", "keyed by the refund's idempotency key, which already embeds the order; lead with merchant_id",
      "refunds_owed", "as refunds",
      "compensation_payouts", "as refunds",
      "sandbox_payments", "the stand-in provider's own table; a real provider keeps its own");

  @Test
  void everyTableIsKeyedByMerchantOrListed() throws Exception {
    DatabaseLocation database = TestDatabase.fresh();
    try {
      Migrations.apply(database);
      Map<String, List<String>> keys = primaryKeys(database);

      Set<String> offTheRule = new TreeSet<>();
      for (Map.Entry<String, List<String>> table : keys.entrySet()) {
        List<String> key = table.getValue();
        boolean merchantFirst = !key.isEmpty() && "merchant_id".equals(key.get(0));
        // The merchants table is keyed by the merchant's own id: the distribution column under its own name.
        boolean merchantsItself = "merchants".equals(table.getKey()) && List.of("id").equals(key);
        if (!merchantFirst && !merchantsItself && !REFERENCE_TABLES.containsKey(table.getKey())) {
          offTheRule.add(table.getKey());
        }
      }
      assertThat(offTheRule).as("tables whose primary key does not start with merchant_id (docs/scale.md)")
          .isEqualTo(new TreeSet<>(NOT_YET.keySet()));
      assertThat(keys.keySet()).as("every listed reference table exists")
          .containsAll(REFERENCE_TABLES.keySet());
    } finally {
      TestDatabase.drop(database);
    }
  }

  /** Each table of the public schema with its primary key's columns in key order (empty: no primary key). */
  private static Map<String, List<String>> primaryKeys(DatabaseLocation database) throws Exception {
    Map<String, List<String>> keys = new TreeMap<>();
    try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
        ResultSet tables = connection.createStatement().executeQuery(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                + " AND table_type = 'BASE TABLE'");
    ) {
      while (tables.next()) {
        keys.put(tables.getString(1), new ArrayList<>());
      }
      try (ResultSet columns = connection.createStatement().executeQuery(
          "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc"
              + " JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name"
              + " AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name"
              + " WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY'"
              + " ORDER BY tc.table_name, kcu.ordinal_position")) {
        while (columns.next()) {
          keys.get(columns.getString(1)).add(columns.getString(2));
        }
      }
    }
    return keys;
  }
}
