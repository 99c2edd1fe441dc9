using DeepGpu.Backends;

namespace DeepGpu.Tests.Ops;

/// <summary>One backend per test class, created on first use (so a class whose tests are all skipped never opens a device).</summary>
public abstract class BackendFixture : IDisposable
{
    private readonly Lazy<Backend> backend;

    protected BackendFixture(string name) => backend = new Lazy<Backend>(() => BackendFactory.Create(name));

    public Backend Backend => backend.Value;

    public void Dispose()
    {
        if (backend.IsValueCreated) backend.Value.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class CpuFixture() : BackendFixture("cpu");
public sealed class IlgpuCpuFixture() : BackendFixture("ilgpu-cpu");
public sealed class CudaFixture() : BackendFixture("cuda");
public sealed class OpenClFixture() : BackendFixture("opencl");
