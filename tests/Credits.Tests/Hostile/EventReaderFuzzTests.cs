using System.Text;
using System.Text.Json.Nodes;
using Credits.Stripe;
using Credits.Tests.Infrastructure;
using CsCheck;

namespace Credits.Tests.Hostile;

/// <summary>
/// Property tests of the event reader: StripeEvent.TryParse, CheckoutSession.From and ReversalFacts
/// either read a body or refuse it with a reason; no input makes them throw.
/// </summary>
public sealed class EventReaderFuzzTests
{
    private static readonly byte[][] Samples =
    [
        Encoding.UTF8.GetBytes(StripeEvents.Paid("u_1", 50)),
        Encoding.UTF8.GetBytes(StripeEvents.Refunded("pi_abc", 500, 200)),
        Encoding.UTF8.GetBytes(StripeEvents.Dispute("charge.dispute.created", "pi_abc", 500, "needs_response", "dp_1")),
    ];

    /// <summary>Bytes that are not UTF-8: a lone continuation, an overlong '/', a UTF-16 surrogate, 0xFF, a cut sequence.</summary>
    private static readonly byte[][] InvalidUtf8 = [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]];

    private static readonly Gen<byte[]> Mutated = Gen.Select(Gen.Int[0, Samples.Length - 1], Gen.Int.Array[1, 8], Gen.Int[0, 3]).Select((sample, positions, kind) =>
    {
        var bytes = Samples[sample].ToList();
        foreach (var position in positions)
        {
            var index = (int)((uint)position % (uint)bytes.Count);
            switch (kind)
            {
                case 0:
                    bytes[index] ^= (byte)(1 + (uint)position % 255);
                    break;
                case 1:
                    bytes.InsertRange(index, InvalidUtf8[(uint)position % InvalidUtf8.Length]);
                    break;
                case 2:
                    bytes.RemoveRange(index, bytes.Count - index);
                    bytes.Add((byte)'}');
                    break;
                default:
                    bytes.InsertRange(index, "\\u0000"u8.ToArray());
                    break;
            }
        }
        return bytes.ToArray();
    });

    [Fact]
    public void Flipped_truncated_and_invalid_UTF8_bytes_are_read_or_refused_but_never_throw()
    {
        Mutated.Sample(bytes => ReadsOrRefuses(bytes), iter: 5000);
    }

    [Fact]
    public void Random_bytes_are_refused()
    {
        Gen.Byte.Array[0, 500].Sample(bytes => ReadsOrRefuses(bytes), iter: 2000);
    }

    [Theory]
    [InlineData("[", "]")]
    [InlineData("{\"a\":", "}")]
    public void Ten_thousand_levels_of_nesting_are_refused(string open, string close)
    {
        var nested = string.Concat(Enumerable.Repeat(open, 10_000)) + "1" + string.Concat(Enumerable.Repeat(close, 10_000));
        var inData = """{"id":"evt_1","object":"event","type":"checkout.session.completed","data":{"object":{"id":"cs_1","metadata":{"credits":"""
            + nested + "}}}}";

        Assert.Null(StripeEvent.TryParse(Encoding.UTF8.GetBytes(nested), out var error));
        Assert.NotNull(error);
        Assert.Null(StripeEvent.TryParse(Encoding.UTF8.GetBytes(inData), out error));
        Assert.NotNull(error);
    }

    /// <summary>Every value in the event replaced, one at a time or many, by a value of another JSON type.</summary>
    [Fact]
    public void Any_field_of_the_wrong_type_is_read_as_absent_never_as_a_guess()
    {
        Gen.Select(Gen.Int[0, Samples.Length - 1], Gen.Int.Array[1, 6], Gen.Int.Array[6]).Sample((sample, targets, choices) =>
        {
            var root = JsonNode.Parse(Samples[sample])!;
            var leaves = HostileJson.Leaves(root).ToList();
            for (var i = 0; i < targets.Length; i++)
            {
                var (parent, key) = leaves[(int)((uint)targets[i] % (uint)leaves.Count)];
                parent[key] = HostileJson.Confused(parent[key], choices[i % choices.Length]);
            }
            return ReadsOrRefuses(Encoding.UTF8.GetBytes(root.ToJsonString()));
        }, iter: 3000);
    }

    private static bool ReadsOrRefuses(byte[] bytes)
    {
        using var evt = StripeEvent.TryParse(bytes, out var error);
        if (evt is null)
        {
            return !string.IsNullOrEmpty(error);
        }
        _ = (evt.ObjectId, evt.Created, evt.Livemode, evt.ApiVersion, evt.PreviousAttributes, evt.Payload);
        var session = CheckoutSession.From(evt.Object);
        _ = ReversalFacts.FromRefundedCharge(evt.Object);
        _ = ReversalFacts.FromDispute(evt.Object, ReversalFacts.Dispute);
        return error is null && evt.Id.Length > 0 && (session is null || session.Id.Length > 0);
    }
}
