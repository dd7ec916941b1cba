using System.Globalization;
using CsvHelper;
using GivingDay.Amounts;

namespace GivingDay.Csv;

/// <summary>CSV that opens right in Excel on a Chinese desktop: UTF-8 with a byte order mark (else Excel guesses GBK),
/// Chinese headers, yuan with two decimals beside fen, Beijing times, and cells a spreadsheet would run as a formula
/// (starting = + - @, tab or CR) prefixed with an apostrophe. Written by CsvHelper.</summary>
public static class ExcelCsv
{
    /// <summary>China Standard Time has had no daylight saving since 1991: a fixed UTC+8, whatever zone data the host has.</summary>
    public static readonly TimeSpan BeijingOffset = TimeSpan.FromHours(8);

    private static readonly CsvWriterOptions Options = new()
    {
        WriteByteOrderMark = true,
        Injection = CsvInjection.Escape,
        FormatProvider = CultureInfo.InvariantCulture,
    };

    public static byte[] Write(IReadOnlyList<string> header, IEnumerable<string?[]> rows)
    {
        using var stream = new MemoryStream();
        using (var writer = CsvWriter.Create(stream, Options, leaveOpen: true))
        {
            writer.WriteHeader([.. header]);
            foreach (var row in rows) writer.WriteRecord(row.Select(c => c ?? "").ToArray());
        }
        return stream.ToArray();
    }

    /// <summary>2026-05-08 10:00:00, in Beijing time.</summary>
    public static string BeijingTime(DateTimeOffset t) => t.ToOffset(BeijingOffset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>50.00: yuan with two decimals, no grouping, so Excel reads it as a number.</summary>
    public static string Yuan(Money amount) => amount.ToString();

    public static string Fen(Money amount) => amount.Fen.ToString(CultureInfo.InvariantCulture);

    /// <summary>The channel as a Chinese reader says it.</summary>
    public static string Channel(string channel) => channel switch
    {
        Pledges.Channels.Online => "线上",
        Pledges.Channels.Offline => "线下",
        _ => channel,
    };
}
