using DeepGpu.Backends;

namespace DeepGpu.Tests.TestSupport;

/// <summary>A fact about machines that lack a backend's device; skipped, visibly, where the device exists.</summary>
public sealed class WithoutDeviceFactAttribute : FactAttribute
{
    public WithoutDeviceFactAttribute(string backend)
    {
        if (BackendFactory.Probe().Any(d => d.Backend == backend && d.Accepted)) Skip = $"a {backend} device is present";
    }
}
