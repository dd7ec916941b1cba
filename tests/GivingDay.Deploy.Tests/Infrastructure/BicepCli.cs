using System.Diagnostics;
using System.Reflection;

namespace GivingDay.Deploy.Tests.Infrastructure;

/// <summary>The Bicep CLI from the Azure.Bicep.CommandLine.linux-x64 package (a PackageDownload in
/// the test project), and the repository it works on; both paths are fixed at build time.</summary>
public static class BicepCli
{
    public static string Path { get; } = Metadata("BicepPath");
    public static string Version { get; } = Metadata("BicepVersion");
    public static string RepoRoot { get; } = Metadata("RepoRoot");
    public static string InfraFolder { get; } = System.IO.Path.Combine(RepoRoot, "infra");
    public static string MainTemplate { get; } = System.IO.Path.Combine(InfraFolder, "main.bicep");

    public sealed record Result(int ExitCode, string Output, string Errors)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Errors}";
    }

    public static Result Run(params string[] arguments)
    {
        EnsureExecutable();
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoRoot,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Path}");
        // Both streams are drained at once so that neither can fill its pipe and stall the CLI.
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish in 3 minutes");
        }
        return new Result(process.ExitCode, output.Result, errors.Result);
    }

    private static void EnsureExecutable()
    {
        if (!File.Exists(Path))
            throw new InvalidOperationException($"Bicep CLI {Version} not found at {Path}: restore tests/GivingDay.Deploy.Tests.");
        // The package is the linux-x64 build; one extracted elsewhere may lose the execute bit it needs.
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("the deployment tests run the linux-x64 Bicep CLI");
        var mode = File.GetUnixFileMode(Path);
        if (!mode.HasFlag(UnixFileMode.UserExecute))
            File.SetUnixFileMode(Path, mode | UnixFileMode.UserExecute);
    }

    private static string Metadata(string key) =>
        typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"assembly metadata {key} is missing: see GivingDay.Deploy.Tests.csproj");
}
