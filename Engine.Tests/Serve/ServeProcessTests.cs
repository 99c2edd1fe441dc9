using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DeepGpu.Tests.Serve;

/// <summary><c>deepgpu serve</c> as its own process: where it listens by default, and that Ctrl-C stops it cleanly.</summary>
[Collection(ServeCollection.Name)]
public sealed partial class ServeProcessTests
{
    private const int Sigint = 2;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [Fact]
    public async Task It_listens_on_loopback_and_ctrl_c_stops_it_with_exit_code_0()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "deepgpu.dll"), "serve", "--port", "0", "--backend", "cpu" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            if (line is null) Assert.Fail($"deepgpu serve printed nothing: {await stderr}");
            var match = System.Text.RegularExpressions.Regex.Match(line, @"at (http://127\.0\.0\.1:\d+/) \(Ctrl-C stops it\)\.$");
            Assert.True(match.Success, line);
            using var http = new HttpClient { BaseAddress = new Uri(match.Groups[1].Value) };
            Assert.Equal("{\"status\":\"ok\"}", await http.GetStringAsync("healthz"));

            Assert.Equal(0, kill(process.Id, Sigint));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(0, process.ExitCode);
            var messages = await stderr;
            Assert.Contains("Stopped.", messages);
            Assert.DoesNotContain("Exception", messages);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }
}
