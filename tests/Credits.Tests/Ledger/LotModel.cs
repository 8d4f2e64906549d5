using Credits.Ledger;

namespace Credits.Tests.Ledger;

/// <summary>
/// The lot rules written a second time, in memory and without SQL, for the property test to
/// compare against: lots taken in spend order, holds reserving the unheld parts of unexpired lots,
/// expiry that never takes a held part, reversals that take a purchase's own lot first and leave
/// debt, and the next credit paying debt first. Holds past expiry let go of their lots only when a
/// write that ends them runs on the account, as in the ledger, so the stored held amounts can be
/// compared too; reads count only holds not yet past expiry.
/// </summary>
internal sealed class LotModel
{
    private readonly List<Lot> lots = [];
    private readonly List<Hold> holds = [];
    private readonly Dictionary<string, long> debts = [];

    public IEnumerable<Lot> LotsOf(string account) => lots.Where(l => l.Account == account);

    public IEnumerable<Hold> ActiveHolds => holds.Where(h => h.Active);

    public long Debt(string account) => debts.GetValueOrDefault(account);

    public long Balance(string account) => LotsOf(account).Sum(l => l.Remaining) - Debt(account);

    /// <summary>What a read reports as spendable: unexpired lots less what holds not yet past expiry reserve of them, less debt.</summary>
    public long Available(string account, long now) =>
        LotsOf(account).Where(l => l.LiveAt(now)).Sum(l => l.Remaining - Reserved(l, h => h.ExpiresAt > now)) - Debt(account);

    public long Held(string account, long now) => ActiveHolds.Where(h => h.Account == account && h.ExpiresAt > now).Sum(h => h.Credits);

    public Lot Grant(string account, string source, long credits, bool paid, long? expiresAt)
    {
        var paidDebt = Math.Min(Debt(account), credits);
        debts[account] = Debt(account) - paidDebt;
        var lot = new Lot(lots.Count, account, source, paid, expiresAt) { Remaining = credits - paidDebt };
        lots.Add(lot);
        return lot;
    }

    public bool Spend(string account, long credits, long now)
    {
        EndDue(account, now);
        if (Spendable(account, now) < credits)
        {
            return false;
        }
        Take(Free(account, now), credits);
        return true;
    }

    /// <summary>A refund or dispute: the lots of <paramref name="firstFrom"/> first, then spend order; what they lack is debt.</summary>
    public void Reverse(string account, long credits, string? firstFrom, long now)
    {
        var taken = Take(Free(account, now).OrderBy(l => l.Source == firstFrom ? 0 : 1), credits).Sum(t => t.Amount);
        debts[account] = Debt(account) + credits - taken;
    }

    /// <summary>A refused placement writes nothing, not even the ending of due holds.</summary>
    public Hold? Place(string account, long credits, long expiresAt, long now)
    {
        var due = EndDue(account, now);
        if (Spendable(account, now) < credits)
        {
            SetActive(due, true);
            return null;
        }
        var hold = new Hold(account, credits, expiresAt);
        var left = credits;
        foreach (var lot in Free(account, now))
        {
            var amount = Math.Min(left, lot.Remaining - lot.Held);
            lot.Held += amount;
            hold.Reserved.Add((lot, amount));
            left -= amount;
        }
        holds.Add(hold);
        return hold;
    }

    public HoldOutcome Capture(Hold hold, long amount, long now)
    {
        var due = EndDue(hold.Account, now);
        if (!hold.Active)
        {
            return HoldOutcome.Settled;
        }
        var held = ActiveHolds.Where(h => h.Account == hold.Account).Sum(h => h.Credits);
        if (Balance(hold.Account) - held + hold.Credits < amount)
        {
            SetActive(due, true);
            return HoldOutcome.Insufficient;
        }
        SetActive([hold], false);
        var left = amount;
        foreach (var (lot, reserved) in hold.Reserved.OrderBy(r => r.Lot, SpendOrder))
        {
            var take = Math.Min(left, reserved);
            lot.Remaining -= take;
            left -= take;
        }
        return left == 0 ? HoldOutcome.Captured : throw new InvalidOperationException($"hold reserved {hold.Credits} but its lots cover less than {amount}");
    }

    public HoldOutcome Release(Hold hold, long now)
    {
        EndDue(hold.Account, now);
        if (!hold.Active)
        {
            return HoldOutcome.Unchanged;
        }
        SetActive([hold], false);
        return HoldOutcome.Released;
    }

    /// <summary>The sending side's lots in spend order become lots of the receiver with the same category and expiry.</summary>
    public bool Transfer(string from, string to, long credits, string source, long now)
    {
        var due = EndDue(from, now);
        if (Spendable(from, now) < credits)
        {
            SetActive(due, true);
            return false;
        }
        foreach (var (lot, amount) in Take(Free(from, now), credits))
        {
            Grant(to, source, amount, lot.Paid, lot.ExpiresAt);
        }
        return true;
    }

    /// <summary>
    /// The expiry sweep visits an account with an unheld expired remainder, an expired lot that a
    /// hold past expiry still reserves, or a lot with credits left entering its last
    /// <see cref="LotQueries.SoonWindow"/> that has not been warned about; there it marks those lots
    /// warned, ends due holds and books every unheld expired remainder.
    /// </summary>
    public void Sweep(IEnumerable<string> accounts, long now)
    {
        var until = LotQueries.SoonUntil(now);
        foreach (var account in accounts)
        {
            var expired = LotsOf(account).Where(l => !l.LiveAt(now)).ToList();
            var toWarn = LotsOf(account).Where(l => l.Remaining > 0 && l.ExpiresAt is { } at && at > now && at <= until && !l.Warned).ToList();
            if (toWarn.Count == 0 && !expired.Any(l => l.Remaining > l.Held || Reserved(l, h => h.ExpiresAt <= now) > 0))
            {
                continue;
            }
            toWarn.ForEach(l => l.Warned = true);
            EndDue(account, now);
            foreach (var lot in expired)
            {
                lot.Remaining = lot.Held;
            }
        }
    }

    private static readonly Comparer<Lot> SpendOrder = Comparer<Lot>.Create((a, b) =>
        (a.ExpiresAt is null ? 1 : 0, a.ExpiresAt ?? 0, a.Paid ? 1 : 0, a.Seq).CompareTo((b.ExpiresAt is null ? 1 : 0, b.ExpiresAt ?? 0, b.Paid ? 1 : 0, b.Seq)));

    /// <summary>What a write may take: the unheld parts of unexpired lots, less debt.</summary>
    private long Spendable(string account, long now) => LotsOf(account).Where(l => l.LiveAt(now)).Sum(l => l.Remaining - l.Held) - Debt(account);

    private List<Lot> Free(string account, long now) =>
        [.. LotsOf(account).Where(l => l.LiveAt(now) && l.Remaining > l.Held).Order(SpendOrder)];

    private long Reserved(Lot lot, Func<Hold, bool> which) =>
        ActiveHolds.Where(which).Sum(h => h.Reserved.Where(r => r.Lot == lot).Sum(r => r.Amount));

    /// <summary>Takes up to <paramref name="credits"/> of the unheld parts of the lots, in the given order.</summary>
    private static List<(Lot Lot, long Amount)> Take(IEnumerable<Lot> order, long credits)
    {
        var taken = new List<(Lot, long)>();
        var left = credits;
        foreach (var lot in order)
        {
            var take = Math.Min(left, lot.Remaining - lot.Held);
            if (take > 0)
            {
                lot.Remaining -= take;
                taken.Add((lot, take));
                left -= take;
            }
        }
        return taken;
    }

    /// <summary>The account's holds past expiry end and let go of their lots; returned so a refused write can put them back.</summary>
    public List<Hold> EndDue(string account, long now)
    {
        var due = ActiveHolds.Where(h => h.Account == account && h.ExpiresAt <= now).ToList();
        SetActive(due, false);
        return due;
    }

    private static void SetActive(IEnumerable<Hold> which, bool active)
    {
        foreach (var hold in which)
        {
            hold.Active = active;
            foreach (var (lot, amount) in hold.Reserved)
            {
                lot.Held += active ? amount : -amount;
            }
        }
    }

    public sealed class Lot(int seq, string account, string source, bool paid, long? expiresAt)
    {
        public int Seq { get; } = seq;
        public string Account { get; } = account;
        public string Source { get; } = source;
        public bool Paid { get; } = paid;
        public long? ExpiresAt { get; } = expiresAt;
        public long Remaining { get; set; }
        public long Held { get; set; }
        public bool Warned { get; set; }
        public bool LiveAt(long now) => ExpiresAt is not { } at || at > now;
    }

    public sealed class Hold(string account, long credits, long expiresAt)
    {
        public string Id { get; set; } = "";
        public string Account { get; } = account;
        public long Credits { get; } = credits;
        public long ExpiresAt { get; } = expiresAt;
        public bool Active { get; set; } = true;
        public List<(Lot Lot, long Amount)> Reserved { get; } = [];
    }
}
