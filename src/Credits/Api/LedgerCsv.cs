using System.Globalization;
using CsvHelper;
using Credits.Ledger;

namespace Credits.Api;

/// <summary>
/// The ledger export (<c>GET /api/users/{id}/ledger</c> with <c>Accept: text/csv</c> or
/// <c>?format=csv</c>): the account's whole history, newest first like the JSON pages, streamed
/// a page of rows at a time so no export holds the history in memory. Each row lists the lots it
/// touched as <c>lot:amount</c> pairs. Text that a spreadsheet would run as a formula is escaped.
/// </summary>
public static class LedgerCsv
{
    public const string ContentType = "text/csv";

    private const int PageSize = 1000;

    private static readonly string[] Header = ["id", "created_at", "amount", "kind", "source_kind", "source_id", "reason", "lots"];

    public static bool Wanted(HttpRequest request, string? format) =>
        string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase)
        || request.Headers.Accept.Any(a => a is not null && a.Contains(ContentType, StringComparison.OrdinalIgnoreCase));

    public static async Task WriteAsync(Stream body, CreditLedger ledger, string accountId, CancellationToken cancellationToken)
    {
        await using var csv = CsvWriter.Create(body, new CsvWriterOptions { Injection = CsvInjection.Escape }, true);
        await csv.WriteRecordAsync(Header, cancellationToken);
        long? before = null;
        while (true)
        {
            var page = await ledger.GetEntriesAsync(accountId, before, PageSize, cancellationToken);
            foreach (var e in page)
            {
                csv.WriteField(e.Id, default);
                csv.WriteField(e.CreatedAt == 0 ? "" : DateTimeOffset.FromUnixTimeMilliseconds(e.CreatedAt).ToString("O", CultureInfo.InvariantCulture));
                csv.WriteField(e.Amount, default);
                csv.WriteField(e.Kind);
                csv.WriteField(e.SourceKind);
                csv.WriteField(e.SourceId);
                csv.WriteField(e.Reason ?? "");
                csv.WriteField(string.Join(";", e.Lots.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.LotId}:{p.Amount}"))));
                await csv.EndRecordAsync(cancellationToken);
            }
            if (page.Count < PageSize)
            {
                break;
            }
            before = page[^1].Id;
        }
        await csv.FlushAsync(cancellationToken);
    }
}
