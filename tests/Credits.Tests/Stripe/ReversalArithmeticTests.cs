using System.Text.Json;
using Credits.Stripe;

namespace Credits.Tests.Stripe;

/// <summary>The refund and dispute arithmetic of <see cref="PaymentReversals.CreditsFor(ReversalFacts, long, long, long, long)"/>, without a database.</summary>
public sealed class ReversalArithmeticTests
{
    private static ReversalFacts Refund(long refunded, long charge) =>
        new(ReversalFacts.Refund, $"ch_1:{refunded}", "pi_1", refunded, charge, "usd");

    private static readonly ReversalFacts Dispute = new(ReversalFacts.Dispute, "dp_1", "pi_1", 500, null, "usd");
    private static readonly ReversalFacts DisputeWon = new(ReversalFacts.DisputeWon, "dp_1", "pi_1", 500, null, "usd");

    [Theory]
    [InlineData(50, 500, 500, -50)]   // full refund
    [InlineData(50, 250, 500, -25)]   // half
    [InlineData(50, 1, 500, 0)]       // a cent of a 50-credit purchase rounds down, in the buyer's favour
    [InlineData(1, 499, 500, 0)]      // one credit: anything short of the whole refund takes nothing
    [InlineData(1, 500, 500, -1)]
    [InlineData(200, 333, 1500, -44)] // 200 * 333 / 1500 = 44.4
    [InlineData(50, 600, 500, -50)]   // more refunded than charged (never happens, never over-takes)
    [InlineData(50, 100, 0, -50)]     // unknown charge amount: treated as full
    public void First_refund_takes_the_refunded_share(long granted, long refunded, long charge, long expected) =>
        Assert.Equal(expected, PaymentReversals.CreditsFor(Refund(refunded, charge), granted, net: 0, refunds: 0, disputed: 0));

    [Fact]
    public void Refunds_in_many_small_steps_sum_to_the_whole()
    {
        const long granted = 50, charge = 499;
        long net = 0;
        for (long refunded = 7; ; refunded = Math.Min(charge, refunded + 7))
        {
            var step = PaymentReversals.CreditsFor(Refund(refunded, charge), granted, net, refunds: net, disputed: 0);
            Assert.InRange(step, -granted, 0);
            net += step;
            Assert.Equal(-(granted * refunded / charge), net);
            if (refunded == charge)
            {
                break;
            }
        }
        Assert.Equal(-granted, net);
    }

    [Fact]
    public void A_refund_never_takes_more_than_is_left_after_a_dispute()
    {
        var disputed = PaymentReversals.CreditsFor(Dispute, 50, net: 0, refunds: 0, disputed: 0);
        var refund = PaymentReversals.CreditsFor(Refund(500, 500), 50, net: disputed, refunds: 0, disputed: 0);

        Assert.Equal(-50, disputed);
        Assert.Equal(0, refund);
    }

    [Fact]
    public void A_dispute_takes_what_refunds_left()
    {
        var refund = PaymentReversals.CreditsFor(Refund(100, 500), 50, net: 0, refunds: 0, disputed: 0);

        Assert.Equal(-10, refund);
        Assert.Equal(-40, PaymentReversals.CreditsFor(Dispute, 50, net: refund, refunds: refund, disputed: 0));
    }

    [Fact]
    public void A_won_dispute_gives_back_what_it_took_and_never_more_than_was_granted()
    {
        Assert.Equal(40, PaymentReversals.CreditsFor(DisputeWon, 50, net: -50, refunds: -10, disputed: -40));
        Assert.Equal(50, PaymentReversals.CreditsFor(DisputeWon, 50, net: -50, refunds: 0, disputed: -50));
        Assert.Equal(0, PaymentReversals.CreditsFor(DisputeWon, 50, net: 0, refunds: 0, disputed: 0));
    }

    [Fact]
    public void A_refunded_charge_reads_its_cumulative_amount_as_the_step_key()
    {
        using var json = JsonDocument.Parse("""{"id":"ch_9","payment_intent":"pi_9","amount":1500,"amount_refunded":500,"currency":"usd"}""");

        var facts = ReversalFacts.FromRefundedCharge(json.RootElement);

        Assert.Equal(new ReversalFacts(ReversalFacts.Refund, "ch_9:500", "pi_9", 500, 1500, "usd"), facts);
    }

    [Theory]
    [InlineData("""{"id":"ch_9","payment_intent":"pi_9","amount":1500,"amount_refunded":0}""")]
    [InlineData("""{"id":"ch_9","amount":1500,"amount_refunded":500}""")]
    [InlineData("""{"id":"ch_9","payment_intent":"pi_9","amount":0,"amount_refunded":500}""")]
    [InlineData("""{"id":"ch_9","payment_intent":"pi_9","amount":"1500","amount_refunded":500}""")]
    [InlineData("""{"payment_intent":"pi_9","amount":1500,"amount_refunded":500}""")]
    public void A_charge_without_what_a_reversal_needs_is_no_reversal(string charge)
    {
        using var json = JsonDocument.Parse(charge);

        Assert.Null(ReversalFacts.FromRefundedCharge(json.RootElement));
    }

    [Fact]
    public void A_dispute_reads_an_expanded_payment_intent()
    {
        using var json = JsonDocument.Parse("""{"id":"dp_3","payment_intent":{"id":"pi_3","object":"payment_intent"},"amount":700,"currency":"eur"}""");

        Assert.Equal(new ReversalFacts(ReversalFacts.DisputeWon, "dp_3", "pi_3", 700, null, "eur"), ReversalFacts.FromDispute(json.RootElement, ReversalFacts.DisputeWon));
    }
}
