using DeepGpu.Backends;
using DeepGpu.Cli;

namespace DeepGpu.Tests.Cli;

/// <summary>Tests that set process-wide environment variables run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(EnvironmentCollection), DisableParallelization = true)]
public sealed class EnvironmentCollection;

/// <summary>A device that fails is one sentence and exit code 1, never a stack trace.</summary>
[Collection(nameof(EnvironmentCollection))]
public sealed class DeviceFailureCliTests
{
    private static (int Code, string Out, string Err) RunWithMemoryLimit(string limit, params string[] args)
    {
        Environment.SetEnvironmentVariable("DEEPGPU_MEMORY_LIMIT", limit);
        try
        {
            return CliTests.Run(args);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DEEPGPU_MEMORY_LIMIT", null);
        }
    }

    [Fact]
    public void Out_of_memory_is_one_sentence_naming_the_allocation_and_suggesting_a_smaller_batch()
    {
        var r = RunWithMemoryLimit("20M", "train", "--model", "simple-convnet", "--backend", "cpu", "--epochs", "1");
        Assert.Equal(1, r.Code);
        var lines = r.Err.Trim().Split('\n');
        var last = lines[^1];
        Assert.StartsWith("deepgpu train: Out of memory on ", last);
        Assert.Contains("for batch 100 (", last);
        Assert.Contains(" free; try a smaller --batch.", last);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.DoesNotContain("Exception", r.Err);
    }

    [Fact]
    public void A_bad_memory_limit_is_a_usage_sentence()
    {
        var r = RunWithMemoryLimit("lots", "check", "--backend", "cpu");
        Assert.Equal(2, r.Code);
        Assert.Equal("deepgpu check: DEEPGPU_MEMORY_LIMIT must be a number of bytes, optionally with K, M or G, not 'lots'.", r.Err.Trim());
    }

    [Theory]
    [MemberData(nameof(DeviceErrorCases))]
    public void Device_errors_become_one_sentence(Exception error, string? start)
    {
        var sentence = DeviceErrors.Describe(error);
        if (start is null)
        {
            Assert.Null(sentence);
            return;
        }
        Assert.NotNull(sentence);
        Assert.StartsWith(start, sentence);
        Assert.EndsWith(").", sentence);
        Assert.DoesNotContain('\n', sentence);
    }

    public static IEnumerable<object[]> DeviceErrorCases() =>
    [
        // (CudaException's error-code constructor asks the driver for the text, so the message form stands in here.)
        [new ILGPU.Runtime.Cuda.CudaException("unspecified launch failure"), "The CUDA device failed"],
        [new InvalidOperationException("wrapped", new ILGPU.Runtime.OpenCL.CLException(ILGPU.Runtime.OpenCL.CLError.CL_OUT_OF_RESOURCES)), "The OpenCL device failed: CL_OUT_OF_RESOURCES ("],
        [new InvalidOperationException("not a device error"), null!],
    ];
}
