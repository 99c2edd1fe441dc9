using System.Diagnostics;
using System.Text.Json;
using DeepGpu.Tests.TestSupport;

namespace DeepGpu.Tests.Tools;

/// <summary>
/// tools/gpu: the prepared GPU run, tested without a GPU. The scripts parse, and a whole run against a stand-in
/// deepgpu and nvidia-smi writes the result file with every step's exit code, the figures, and a verdict.
/// </summary>
public sealed class DeviceRunScriptTests
{
    private static readonly string _tools = Path.Combine(RepositoryRoot(), "tools", "gpu");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DeepGpu.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("DeepGpu.sln not found above the test assembly");
    }

    private static (int Code, string Output) Run(string file, string arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    [Theory]
    [InlineData("device-run.sh")]
    [InlineData("pack.sh")]
    public void The_scripts_parse(string script)
    {
        var (code, output) = Run("bash", $"-n {Path.Combine(_tools, script)}");
        Assert.True(code == 0, output);
    }

    [Fact]
    public void The_out_of_memory_network_is_a_valid_spec_too_large_for_a_140_GiB_device_at_batch_60000()
    {
        var file = Path.Combine(_tools, "oom-net.json");
        var spec = DeepGpu.Graph.NetworkSpec.FromJson(File.ReadAllText(file), file);
        var network = DeepGpu.Graph.Network.Build(spec);
        var bytes = network.Layers.Sum(l => 2L * 60000 * l.OutputShape.Size * 4);
        Assert.True(bytes > 160L << 30, $"the plan would need {bytes >> 30} GiB");
        Assert.All(network.Layers, l => Assert.True(60000L * l.OutputShape.Size <= Array.MaxLength, $"{l.Name} is over one buffer"));
    }

    [Fact]
    public void A_run_against_a_stand_in_writes_the_result_file()
    {
        using var temp = new TempDir();
        var bin = Directory.CreateDirectory(Path.Combine(temp.Path, "bin")).FullName;
        var fake = Path.Combine(bin, "deepgpu");
        File.WriteAllText(fake, """
            #!/usr/bin/env bash
            case "$1 $2 $3" in
              devices*) echo "backend    device                                       status"; echo "cuda       Stand-in GPU                                 usable"; echo "opencl     none                                         rejected: no device" ;;
              "check --backend cuda") echo '{"group":"real-size step","op":"mlp","case":"batch 100","error":0.5,"tolerance":0.1,"passed":false,"milliseconds":1,"message":"loss[0]"}'; echo '{"group":"dense","op":"gemm","case":"x","error":0,"tolerance":0,"passed":true,"milliseconds":1}'; exit 1 ;;
              "train --model simple-convnet") echo '{"epoch":1,"trainLoss":0.2,"testAccuracy":0.97}'; echo '{"testAccuracy":0.9812,"trainLoss":0.05,"epochs":10,"backend":"cuda","seconds":12.5}' ;;
              "bench --backend cuda") echo '{"backend":"cuda","kind":"train","model":"two-layer","msPerStep":0.3}' ;;
              train*) echo "deepgpu train: Out of memory on Stand-in GPU: allocating the outputs of layer conv20 for batch 60000 (3.9 GiB) failed with 1.2 GiB free; try a smaller --batch." >&2; exit 1 ;;
            esac
            """.ReplaceLineEndings("\n"));
        File.WriteAllText(Path.Combine(bin, "nvidia-smi"), "#!/usr/bin/env bash\necho 'Stand-in GPU, 999.1, 1000 MiB'\n");
        Assert.Equal(0, Run("chmod", $"+x {fake} {Path.Combine(bin, "nvidia-smi")}").Code);
        var output = Path.Combine(temp.Path, "out");
        var (code, log) = Run("bash", Path.Combine(_tools, "device-run.sh"), new Dictionary<string, string>
        {
            ["DEEPGPU_EXE"] = fake,
            ["OUT"] = output,
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["DEEPGPU_RUN_BUDGET"] = "100",
        });
        Assert.True(code == 1, $"exit code {code}: a failing check must fail the run\n{log}");
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "gpu-run.json")));
        var root = result.RootElement;
        Assert.Equal("Stand-in GPU", root.GetProperty("gpu").GetString());
        Assert.Equal("999.1", root.GetProperty("driver").GetString());
        Assert.False(root.GetProperty("passed").GetBoolean());
        var steps = root.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        // No OpenCL device was accepted, so that step does not run.
        Assert.Equal(["devices", "check-cuda", "train-cuda", "bench-cuda", "out-of-memory", "torch"], steps.Keys.ToArray());
        Assert.False(steps["check-cuda"].GetProperty("ok").GetBoolean());
        Assert.Equal(1, steps["check-cuda"].GetProperty("exitCode").GetInt32());
        Assert.True(steps["train-cuda"].GetProperty("ok").GetBoolean(), steps["train-cuda"].ToString());
        Assert.True(steps["out-of-memory"].GetProperty("ok").GetBoolean(), steps["out-of-memory"].ToString());
        var figures = root.GetProperty("figures");
        Assert.Equal(0.9812, figures.GetProperty("train-cuda").GetProperty("summary").GetProperty("testAccuracy").GetDouble());
        Assert.Equal("mlp", figures.GetProperty("check-cuda").GetProperty("failed")[0].GetProperty("op").GetString());
        Assert.Equal(0.3, figures.GetProperty("bench-cuda")[0].GetProperty("msPerStep").GetDouble());
        Assert.StartsWith("deepgpu train: Out of memory on Stand-in GPU", figures.GetProperty("out-of-memory").GetProperty("sentence").GetString());
        Assert.Contains("FAIL check-cuda", log);
    }
}
