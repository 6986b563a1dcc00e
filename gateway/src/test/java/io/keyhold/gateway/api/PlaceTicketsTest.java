package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Tickets that hold a place in the waiting room's line, with nothing kept per ticket. */
class PlaceTicketsTest {
  private static final long NOW = 1_800_000_000L;
  private final PlaceTickets tickets = new PlaceTickets();

  @Test
  void readsBackThePlaceItIssued() {
    assertThat(tickets.place(tickets.issue(42, NOW), NOW + 5)).isEqualTo(42);
  }

  @Test
  void aTicketWithAnotherPlaceOrTimeWrittenInIsNoPlace() {
    String ticket = tickets.issue(42, NOW);
    String mac = ticket.substring(ticket.lastIndexOf('.'));

    assertThat(tickets.place("7." + NOW + mac, NOW)).isEqualTo(-1);
    assertThat(tickets.place("42." + (NOW + 1) + mac, NOW + 1)).isEqualTo(-1);
  }

  @Test
  void aTicketOfAnotherInstanceIsNoPlace() {
    assertThat(new PlaceTickets().place(tickets.issue(42, NOW), NOW)).isEqualTo(-1);
  }

  @Test
  void aTicketPastItsTimeIsNoPlace() {
    String ticket = tickets.issue(42, NOW);

    assertThat(tickets.place(ticket, NOW + PlaceTickets.TTL_SECONDS)).isEqualTo(42);
    assertThat(tickets.place(ticket, NOW + PlaceTickets.TTL_SECONDS + 1)).isEqualTo(-1);
    assertThat(tickets.place(ticket, NOW - 1)).as("issued in the future").isEqualTo(-1);
  }

  @Test
  void malformedTicketsAreNoPlace() {
    assertThat(tickets.place(null, NOW)).isEqualTo(-1);
    assertThat(tickets.place("", NOW)).isEqualTo(-1);
    assertThat(tickets.place("42", NOW)).isEqualTo(-1);
    assertThat(tickets.place("..", NOW)).isEqualTo(-1);
    assertThat(tickets.place("-1." + NOW + ".00", NOW)).isEqualTo(-1);
    assertThat(tickets.place("x".repeat(PlaceTickets.LENGTH_MAX + 1), NOW)).isEqualTo(-1);
  }
}
