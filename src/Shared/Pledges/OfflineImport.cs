using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CsvHelper;
using GivingDay.Campaigns;
using GivingDay.Json;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Validation;
using Polly.Registry;

namespace GivingDay.Pledges;

/// <summary>Gifts received offline (cash boxes, bank transfers), entered by staff as a CSV or JSON file.
/// Each row is checked like an online pledge; one bad row rejects the whole file. The same file imported again
/// adds nothing: pledge ids come from the file's SHA-256 and the row number. Offline gifts carry no contact,
/// so they are never matched; they go through the same outbox and counting as online pledges.</summary>
public sealed class OfflineImport(StorageAccount account, ResiliencePipelineProvider<string> pipelines, TimeProvider clock)
{
    public const int MaxRows = 5000;
    public const int MaxBytes = 1 << 20;
    private static readonly string[] Columns = ["projectId", "amount", "name", "message", "receivedAt"];
    private readonly TableClient _ledger = account.Table(StorageNames.LedgerTable);

    /// <summary>What an import added; <paramref name="AlreadyImported"/> when the same file was imported before (it adds nothing).</summary>
    public sealed record Result(int Imported, long Raised, bool AlreadyImported = false);

    /// <summary>Parses and validates the whole file; null with <paramref name="errors"/> filled when any row is bad. Errors
    /// name rows as Excel numbers them (the header is row 1, the first gift row 2); in a JSON array, by position from 1.</summary>
    public List<Pledge>? Parse(Campaign campaign, byte[] body, bool isCsv, ValidationErrors errors)
    {
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body));
        List<(int Row, Dictionary<string, JsonElement> Fields)> rows;
        try { rows = isCsv ? CsvRows(body, errors) : JsonRows(body); }
        catch (JsonException) { errors.Add("body", "body.not_array"); return null; }
        if (!errors.IsEmpty) return null;
        if (rows.Count == 0) { errors.Add("body", "body.no_rows"); return null; }
        if (rows.Count > MaxRows) { errors.Add("body", "body.too_many_rows", MaxRows); return null; }

        var pledges = new List<Pledge>();
        var now = clock.GetUtcNow();
        foreach (var (number, row) in rows)
        {
            var at = $"row {number}";
            object? Value(string column) => row.TryGetValue(column, out var v) && v.ValueKind != JsonValueKind.Undefined ? v : null;
            var json = JsonSerializer.SerializeToElement(new Dictionary<string, object?>
            {
                ["projectId"] = Value("projectId"),
                ["amount"] = Value("amount"),
                ["donor"] = new Dictionary<string, object?> { ["name"] = Value("name") },
                ["message"] = Value("message"),
            });
            var rowErrors = new ValidationErrors();
            var valid = PledgeRequest.Parse(json, campaign, rowErrors, out _);
            errors.AddAll(rowErrors, field => $"{at}: {field.Replace("donor.", "")}");
            DateTimeOffset receivedAt = now;
            if (row.TryGetValue("receivedAt", out var r) && r.ValueKind == JsonValueKind.String && r.GetString() is { Length: > 0 } s
                && !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out receivedAt))
                errors.Add($"{at}: receivedAt", "receivedAt.not_time");
            if (valid is null || !errors.IsEmpty) continue;
            pledges.Add(new Pledge($"off{sha[..20]}{pledges.Count + 1:00000}", campaign.Id, valid.ProjectId, valid.Amount, null,
                DonorIdentity.Mask(valid.Name), valid.Message, Channels.Offline, receivedAt, sha, valid.Name));
        }
        return errors.IsEmpty ? pledges : null;
    }

    /// <summary>Stores the rows with their outbox markers and queues them for counting.</summary>
    public async Task<Result> ImportAsync(string campaignId, List<Pledge> pledges, CancellationToken ct)
    {
        var sha = pledges[0].Fingerprint;
        var read = pipelines.GetPipeline(StoragePipelines.Storage);
        var seen = await read.ExecuteAsync(async t => await _ledger.GetEntityIfExistsAsync<TableEntity>(campaignId, LedgerKeys.OfflineFile(sha), cancellationToken: t), ct);
        if (seen.HasValue) return new Result(0, 0, AlreadyImported: true);

        var stored = new List<(List<Pledge> Pledges, MarkerRef? Marker)>();
        foreach (var chunk in pledges.Chunk(PledgeIntake.MaxBatch))
        {
            try
            {
                stored.Add((chunk.ToList(), await StoreAsync(campaignId, chunk, StoragePipelines.IntakeStore, ct)));
            }
            catch (Exception e) when (e is TableTransactionFailedException { Status: 409 } || TransactionReplies.IsUnreadableFailure(e))
            {
                // An earlier import of this file stopped half-way: add the rows one by one, skipping those stored.
                foreach (var p in chunk)
                {
                    try { stored.Add(([p], await StoreAsync(campaignId, [p], StoragePipelines.Storage, ct))); }
                    catch (Exception inner) when (inner is TableTransactionFailedException { Status: 409 } || TransactionReplies.IsUnreadableFailure(inner)) { }
                }
            }
        }

        var queue = account.Queue(StorageNames.PledgeQueue);
        foreach (var (chunk, marker) in stored)
        {
            var text = JsonSerializer.Serialize(new PledgeBatchMessage(campaignId, chunk, marker), GivingDayJson.Options);
            // A failed send is caught up by the re-drive (the markers are there).
            try { await pipelines.GetPipeline(StoragePipelines.IntakeEnqueue).ExecuteAsync(async t => await queue.SendMessageAsync(text, t), ct); }
            catch (RequestFailedException) { }
        }
        try { await read.ExecuteAsync(async t => await _ledger.AddEntityAsync(new TableEntity(campaignId, LedgerKeys.OfflineFile(sha)) { ["Rows"] = pledges.Count }, t), ct); }
        catch (RequestFailedException e) when (e.Status == 409) { }
        return new Result(stored.Sum(s => s.Pledges.Count), stored.SelectMany(s => s.Pledges).Sum(p => p.Amount.Fen));
    }

    /// <summary>The rows and one outbox marker listing them, in one transaction; the marker as committed.</summary>
    private async Task<MarkerRef?> StoreAsync(string campaignId, IReadOnlyList<Pledge> chunk, string pipeline, CancellationToken ct)
    {
        var markerId = DonorIdentity.NewPledgeId();
        var actions = chunk.Select(p => new TableTransactionAction(TableTransactionActionType.Add, PledgeRows.ToRow(p, campaignId, markerId)))
            .Append(new TableTransactionAction(TableTransactionActionType.Add, PledgeRows.MarkerRow(campaignId, markerId, chunk)))
            .ToList();
        var replies = await pipelines.GetPipeline(pipeline).ExecuteAsync(async t => (await _ledger.SubmitTransactionAsync(actions, t)).Value, ct);
        return replies.Count == actions.Count && replies[^1]?.Headers.ETag is { } etag ? new MarkerRef(markerId, etag.ToString()) : null;
    }

    private static List<(int, Dictionary<string, JsonElement>)> JsonRows(byte[] body)
    {
        var rows = JsonSerializer.Deserialize<List<Dictionary<string, JsonElement>>>(body, GivingDayJson.Options) ?? throw new JsonException();
        return rows.Select((r, i) => (i + 1, r.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase))).ToList();
    }

    private static readonly CsvReaderOptions CsvOptions = new()
    {
        Separator = ',',
        HasHeader = true,
        TrimWhitespace = true,
        // Empty lines are kept (and passed over below) so that row numbers stay Excel's.
        SkipEmptyLines = false,
        MalformedData = CsvMalformedDataHandling.Throw,
        MissingField = CsvMissingFieldHandling.ReturnEmpty,
    };

    /// <summary>RFC 4180 CSV (UTF-8, with or without BOM) with a header row naming the columns, read by CsvHelper. Amounts
    /// are read as numbers, the rest as text; each row keeps its Excel row number.</summary>
    private static List<(int, Dictionary<string, JsonElement>)> CsvRows(byte[] body, ValidationErrors errors)
    {
        var result = new List<(int, Dictionary<string, JsonElement>)>();
        using var reader = CsvReader.Create(body, CsvOptions);
        try
        {
            reader.ReadHeader();
            var header = reader.Headers.Select(h => h.Trim()).ToList();
            if (header.All(h => h.Length == 0)) { errors.Add("body", "body.empty"); return result; }
            foreach (var missing in new[] { "projectId", "amount" }.Where(c => !header.Contains(c, StringComparer.OrdinalIgnoreCase)))
                errors.Add("header", "header.missing_column", missing);
            foreach (var unknown in header.Where(h => !Columns.Contains(h, StringComparer.OrdinalIgnoreCase)))
                errors.Add("header", "header.unknown_column", unknown);
            if (!errors.IsEmpty) return result;
            while (reader.Read())
            {
                var row = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
                for (var c = 0; c < header.Count && c < reader.FieldCount; c++)
                {
                    var value = reader.GetString(c);
                    if (value.Length == 0) continue;
                    // A whole number stays a number however long, so that the amount rules call it too large, not "not a number".
                    row[header[c]] = header[c].Equals("amount", StringComparison.OrdinalIgnoreCase) && value.All(char.IsAsciiDigit)
                        ? JsonElement.Parse(value)
                        : JsonSerializer.SerializeToElement(value);
                }
                // The header is Excel's row 1.
                if (row.Count > 0) result.Add(((int)reader.RowNumber + 1, row));
            }
        }
        catch (CsvFormatException e)
        {
            errors.Add("body", "body.malformed_csv", e.RecordNumber);
        }
        return result;
    }
}
