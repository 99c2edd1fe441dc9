using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace DeepGpu.Tests.TestSupport;

/// <summary>
/// Debian's clang as an OpenCL C 2.0 compiler (syntax and semantics, with the standard built-in declarations; no
/// target code): what a driver's front end checks. <c>.ci/run</c> installs clang; without it the tests that need
/// it show as skipped with the reason.
/// </summary>
public static partial class OpenClCompiler
{
    public const string MissingReason = "no clang on PATH (.ci/run installs it), so OpenCL C is not compiled";

    /// <summary>clang, or the newest versioned clang-N, from PATH; null when neither is installed.</summary>
    public static string? Path { get; } = Find();

    /// <summary>Compiles OpenCL C source; the exit code and what clang printed.</summary>
    public static (int Code, string Output) Check(string source)
    {
        var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"deepgpu-{Guid.NewGuid():N}.cl");
        File.WriteAllText(file, source);
        try
        {
            var start = new ProcessStartInfo(Path ?? throw new InvalidOperationException(MissingReason))
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                ArgumentList = { "-cl-std=CL2.0", "-Xclang", "-finclude-default-header", "-fsyntax-only", file },
            };
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout + stderr.Result);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string? Find()
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(Directory.Exists).ToList();
        foreach (var dir in dirs)
        {
            var plain = System.IO.Path.Combine(dir, "clang");
            if (File.Exists(plain)) return plain;
        }
        return dirs.SelectMany(d => Directory.GetFiles(d, "clang-*"))
            .Where(f => Versioned().IsMatch(System.IO.Path.GetFileName(f)))
            .OrderBy(f => int.Parse(System.IO.Path.GetFileName(f)[6..]))
            .LastOrDefault();
    }

    [GeneratedRegex(@"^clang-\d+$")]
    private static partial Regex Versioned();
}

/// <summary>A theory that needs clang; skipped, with the reason, where it is not installed.</summary>
public sealed class OpenClCompilerTheoryAttribute : TheoryAttribute
{
    public OpenClCompilerTheoryAttribute()
    {
        if (OpenClCompiler.Path is null) Skip = OpenClCompiler.MissingReason;
    }
}

/// <summary>A fact that needs clang; skipped, with the reason, where it is not installed.</summary>
public sealed class OpenClCompilerFactAttribute : FactAttribute
{
    public OpenClCompilerFactAttribute()
    {
        if (OpenClCompiler.Path is null) Skip = OpenClCompiler.MissingReason;
    }
}
