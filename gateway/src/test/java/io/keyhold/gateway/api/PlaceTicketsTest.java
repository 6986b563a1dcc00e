package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.api.PlaceTickets.Ticket;
import org.junit.jupiter.api.Test;

/** Tickets that hold a place and a turn in the waiting room's line, with nothing kept per ticket. */
class PlaceTicketsTest {
  private static final long NOW = 1_800_000_000L;
  private final PlaceTickets tickets = new PlaceTickets();

  @Test
  void readsBackThePlaceAndTurnItIssued() {
    assertThat(tickets.read(tickets.issue(new Ticket(42, NOW + 7), NOW), NOW + 5)).isEqualTo(new Ticket(42, NOW + 7));
  }

  @Test
  void aTicketWithAnotherPlaceTurnOrTimeWrittenInIsNoPlace() {
    String ticket = tickets.issue(new Ticket(42, NOW + 7), NOW);
    String mac = ticket.substring(ticket.lastIndexOf('.'));

    assertThat(tickets.read("7." + (NOW + 7) + "." + NOW + mac, NOW)).isNull();
    assertThat(tickets.read("42." + NOW + "." + NOW + mac, NOW)).as("an earlier turn").isNull();
    assertThat(tickets.read("42." + (NOW + 7) + "." + (NOW + 1) + mac, NOW + 1)).isNull();
  }

  @Test
  void aTicketOfAnotherInstanceIsNoPlace() {
    assertThat(new PlaceTickets().read(tickets.issue(new Ticket(42, NOW), NOW), NOW)).isNull();
  }

  @Test
  void aTicketPastItsTimeIsNoPlace() {
    String ticket = tickets.issue(new Ticket(42, NOW + 3), NOW);

    assertThat(tickets.read(ticket, NOW + PlaceTickets.TTL_SECONDS)).isNotNull();
    assertThat(tickets.read(ticket, NOW + PlaceTickets.TTL_SECONDS + 1)).isNull();
    assertThat(tickets.read(ticket, NOW - 1)).as("issued in the future").isNull();
  }

  @Test
  void malformedTicketsAreNoPlace() {
    assertThat(tickets.read(null, NOW)).isNull();
    assertThat(tickets.read("", NOW)).isNull();
    assertThat(tickets.read("42", NOW)).isNull();
    assertThat(tickets.read("...", NOW)).isNull();
    assertThat(tickets.read("-1." + NOW + "." + NOW + ".00", NOW)).isNull();
    assertThat(tickets.read("x".repeat(PlaceTickets.LENGTH_MAX + 1), NOW)).isNull();
  }
}
