using System.Globalization;

namespace Credits.Ledger.Webhooks;

/// <summary>
/// The outbox insert as a step of a one-statement change on PostgreSQL (<c>outbox AS (Sql)</c> in
/// its WITH), so the messages are written in the change's own round trip instead of a second one
/// (docs/benchmarks.md, "Outbox on the hot path"). The numbers only that statement knows (its
/// ledger entry id, the balance after) go into the change as stand-ins: the change is built twice,
/// with two sets of them, and where the two texts differ the statement's own values are spliced in
/// by SQL. Text that merely contains the stand-ins' digits (a reason, an id) is the same in both
/// builds and stays text. So a message's shape stays declared once, by the factory that builds the
/// change (<see cref="LedgerChanges"/> and the like), and the fan-out once, in <see cref="Outbox"/>.
/// The statement binds one parameter, <c>@outbox</c> (text[]), from <see cref="Bind"/>.
/// </summary>
public sealed class OutboxStep
{
    private static readonly StandIns A = new(1_000_000_007, 3_000_000_011, 500_000_013);
    private static readonly StandIns B = new(2_000_000_017, 4_000_000_019, 700_000_023);

    private readonly Value[] _values;
    private readonly int[] _payloadSlots;
    private readonly int[] _tailSlots;

    /// <param name="from">The statement's steps the values are read from, as FROM items (", moved, entry"); a row in each means the change happened.</param>
    /// <param name="sample">A change of the shape the statement makes (only its numbers' places matter).</param>
    /// <param name="values">Every number the change may hold that the statement computes: its SQL, and the same arithmetic over stand-ins and the change's amount.</param>
    public OutboxStep(string from, Func<StandIns, OutboxChange> sample, long sampleAmount, params Value[] values)
    {
        _values = values;
        var (_, _, payload, tail, crossing) = Split(sample, sampleAmount, 0);
        _payloadSlots = [.. payload.Slots];
        _tailSlots = [.. tail.Slots];
        var next = 5;
        Sql = Outbox.Insert(new Outbox.MessageSql(
            "@outbox[1]", "@outbox[2]", "@outbox[3]", Joined(ref next, _payloadSlots), "@outbox[4]", Joined(ref next, _tailSlots),
            crossing is { } c ? $"({values[c.Before].Sql})" : "NULL", crossing is { } d ? $"({values[d.After].Sql})" : "NULL", from));
    }

    /// <summary>The INSERT to put in the statement's WITH.</summary>
    public string Sql { get; }

    /// <summary>The value of <c>@outbox</c> for one change: its message ids, type, and the texts between the statement's numbers.</summary>
    public string[] Bind(Func<StandIns, OutboxChange> change, long amount, long now)
    {
        var (type, lowHead, payload, tail, _) = Split(change, amount, now);
        if (!payload.Slots.SequenceEqual(_payloadSlots) || !tail.Slots.SequenceEqual(_tailSlots))
        {
            throw new InvalidOperationException("The change's numbers are not where the step's SQL expects them: its shape depends on more than the sample's.");
        }
        return [Outbox.NewId(), Outbox.NewId(), type, lowHead, .. payload.Texts, .. tail.Texts];
    }

    private string Joined(ref int next, int[] slots)
    {
        var parts = new List<string> { $"@outbox[{next++}]" };
        foreach (var slot in slots)
        {
            parts.Add($"CAST(({_values[slot].Sql}) AS text)");
            parts.Add($"@outbox[{next++}]");
        }
        return string.Join(" || ", parts);
    }

    /// <summary>The change built with both stand-in sets: its texts split where they differ, and which value fills each gap.</summary>
    private Built Split(Func<StandIns, OutboxChange> change, long amount, long now)
    {
        var (a, b) = (change(A), change(B));
        var (textsA, textsB) = (Outbox.Texts(a, now), Outbox.Texts(b, now));
        var payload = Pieces.Of(textsA.Payload!, textsB.Payload!, (x, y) => Slot(x, y, amount));
        var tail = Pieces.Of(textsA.LowTail, textsB.LowTail, (x, y) => Slot(x, y, amount));
        var crossing = a.Low is null ? ((int, int)?)null
            : (Slot(a.Low.AvailableBefore, b.Low!.AvailableBefore, amount), Slot(a.Low.AvailableAfter, b.Low.AvailableAfter, amount));
        return new Built(a.Type!, textsA.LowHead, payload, tail, crossing);
    }

    private sealed record Built(string Type, string LowHead, Pieces Payload, Pieces Tail, (int Before, int After)? Crossing);

    private int Slot(long a, long b, long amount)
    {
        for (var i = 0; i < _values.Length; i++)
        {
            if (_values[i].Of(A, amount) == a && _values[i].Of(B, amount) == b)
            {
                return i;
            }
        }
        throw new InvalidOperationException($"A number of the change ({a.ToString(CultureInfo.InvariantCulture)} with the first stand-ins) is none of the step's values.");
    }

    /// <summary>The numbers a one-statement change computes, as stand-ins when the change is built.</summary>
    public sealed record StandIns(long EntryId, long Balance, long Held);

    /// <summary>A number the statement computes: its SQL over the statement's steps, and the same over stand-ins and the change's amount.</summary>
    public sealed record Value(string Sql, Func<StandIns, long, long> Of);

    /// <summary>A text cut at the statement's numbers: Texts has one more entry than Slots.</summary>
    private sealed record Pieces(List<string> Texts, List<int> Slots)
    {
        public static Pieces Of(string a, string b, Func<long, long, int> slot)
        {
            var pieces = new Pieces([], []);
            var (i, j, start) = (0, 0, 0);
            while (i < a.Length && j < b.Length)
            {
                if (a[i] == b[j])
                {
                    (i, j) = (i + 1, j + 1);
                    continue;
                }
                // The texts agree up to here, so the number starts the same distance back in both.
                var back = 0;
                while (i - back > start && IsNumber(a[i - back - 1]))
                {
                    back++;
                }
                var (endA, endB) = (End(a, i), End(b, j));
                pieces.Texts.Add(a[start..(i - back)]);
                pieces.Slots.Add(slot(long.Parse(a[(i - back)..endA], CultureInfo.InvariantCulture), long.Parse(b[(j - back)..endB], CultureInfo.InvariantCulture)));
                (i, j, start) = (endA, endB, endA);
            }
            if (a.Length - i != b.Length - j)
            {
                throw new InvalidOperationException("The change's two builds differ in more than numbers.");
            }
            pieces.Texts.Add(a[start..]);
            return pieces;
        }

        private static bool IsNumber(char c) => char.IsAsciiDigit(c) || c == '-';

        private static int End(string text, int from)
        {
            while (from < text.Length && IsNumber(text[from]))
            {
                from++;
            }
            return from;
        }
    }
}
