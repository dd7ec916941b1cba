using GivingDay.Deploy.Tests.Infrastructure;

namespace GivingDay.Deploy.Tests;

/// <summary>The templates compile and pass the linter with the pinned Bicep CLI: a warning is a
/// finding to fix, not to silence.</summary>
public class BicepCompilationTests
{
    [Fact]
    public void Main_template_builds_without_warnings()
    {
        var folder = Directory.CreateTempSubdirectory("givingday-bicep-").FullName;
        try
        {
            var output = Path.Combine(folder, "main.json");
            var result = BicepCli.Run("build", BicepCli.MainTemplate, "--outfile", output);

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.True(result.Errors.Trim().Length == 0, result.ToString());
            Assert.True(File.Exists(output));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    public static TheoryData<string> BicepFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(BicepCli.InfraFolder, "*.bicep", SearchOption.AllDirectories).Order())
            data.Add(Path.GetRelativePath(BicepCli.RepoRoot, file));
        return data;
    }

    /// <summary>One run of the linter over every template (the CLI's start is most of what a run costs): each
    /// diagnostic line begins with the full path of the file it is about.</summary>
    private static readonly Lazy<BicepCli.Result> LintAll = new(() => BicepCli.Run("lint", "--pattern", "infra/**/*.bicep"));

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Bicep_file_passes_the_linter(string file)
    {
        var result = LintAll.Value;
        var path = Path.Combine(BicepCli.RepoRoot, file);

        var findings = (result.Output + "\n" + result.Errors).Split('\n').Where(line => line.StartsWith(path + "(", StringComparison.Ordinal)).ToList();
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void The_linter_runs_clean_over_every_template()
    {
        var result = LintAll.Value;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True((result.Output + result.Errors).Trim().Length == 0, result.ToString());
    }

    [Fact]
    public void The_pinned_cli_is_the_one_that_runs()
    {
        var result = BicepCli.Run("--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"Bicep CLI version {BicepCli.Version} ", result.Output);
    }
}
