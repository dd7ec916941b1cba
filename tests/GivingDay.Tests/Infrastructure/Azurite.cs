using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GivingDay.Tests.Infrastructure;

/// <summary>The Azurite the tests run against: the one scripts/test.sh started (its connection
/// string in AzureWebJobsStorage), or, when a test is run on its own, one started here on free
/// ports with a fresh data folder and stopped when the test process ends.</summary>
public static class Azurite
{
    private static readonly Lazy<string> Connection = new(StartOrReuse, LazyThreadSafetyMode.ExecutionAndPublication);
    private static Process? _process;

    public static string ConnectionString => Connection.Value;

    /// <summary>A storage name prefix no other test uses, so tests never see each other's queues.</summary>
    public static string UniquePrefix() => "t" + Guid.NewGuid().ToString("N")[..12];

    private static string StartOrReuse()
    {
        var fromEnv = Environment.GetEnvironmentVariable("AzureWebJobsStorage");
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;

        var ports = FreePorts(3);
        _process = Launch(ports, Directory.CreateTempSubdirectory("givingday-azurite-").FullName);
        foreach (var port in ports) WaitForPort(port, TimeSpan.FromSeconds(60));
        return ConnectionStringFor(ports[0], ports[1], ports[2]);
    }

    private static Process Launch(int[] ports, string data)
    {
        var azurite = Path.Combine(RepoRoot(), "tools", "azurite", "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
            throw new InvalidOperationException("Azurite is not installed: run scripts/install-tools.sh (or scripts/test.sh).");
        var psi = new ProcessStartInfo(azurite,
            $"--silent --location {data} --disableTelemetry --skipApiVersionCheck --blobHost 127.0.0.1 --blobPort {ports[0]} --queueHost 127.0.0.1 --queuePort {ports[1]} --tableHost 127.0.0.1 --tablePort {ports[2]}")
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine(); process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { process.Kill(entireProcessTree: true); } catch { } };
        return process;
    }

    /// <summary>An Azurite of one test's own, which the test may stop and start again (same ports, same data).</summary>
    public sealed class Own : IDisposable
    {
        private readonly int[] _ports = FreePorts(3);
        private readonly string _data = Directory.CreateTempSubdirectory("givingday-azurite-own-").FullName;
        private Process? _process;

        public string ConnectionString => ConnectionStringFor(_ports[0], _ports[1], _ports[2]);

        public static Own Start() { var own = new Own(); own.Restart(); return own; }

        public void Restart()
        {
            if (_process is { HasExited: false }) return;
            _process = Launch(_ports, _data);
            foreach (var port in _ports) WaitForPort(port, TimeSpan.FromSeconds(60));
        }

        public void Stop()
        {
            if (_process is null) return;
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process = null;
        }

        public void Dispose() => Stop();
    }

    public static string ConnectionStringFor(int blob, int queue, int table) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GivingDay.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => { var l = new TcpListener(IPAddress.Loopback, 0); l.Start(); return l; }).ToList();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    private static void WaitForPort(int port, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, port); return; }
            catch (SocketException) { Thread.Sleep(100); }
        }
        throw new TimeoutException($"Azurite did not listen on {port} within {timeout}.");
    }
}
