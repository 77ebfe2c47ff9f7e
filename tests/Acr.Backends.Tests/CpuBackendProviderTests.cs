namespace Acr.Backends.Tests;

public sealed class CpuBackendProviderTests
{
    [Fact]
    public void Lists_one_usable_device_with_its_properties()
    {
        var provider = new CpuBackendProvider();
        Assert.Equal("cpu", provider.Name);
        Assert.False(string.IsNullOrWhiteSpace(provider.Description));
        var device = Assert.Single(provider.Devices);
        Assert.Equal("cpu:0", device.Id);
        Assert.True(device.IsUsable);
        Assert.Null(device.Reason);
        Assert.Equal(Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), device.Properties["logicalCores"]);
        Assert.Contains(device.Properties["simd"], new[] { "Vector512", "Vector256", "Vector128", "scalar" });
        Assert.False(string.IsNullOrWhiteSpace(device.Properties["os"]));
    }

    [Fact]
    public void Creates_backends_with_the_requested_threads()
    {
        var provider = new CpuBackendProvider();
        var device = provider.Devices[0];
        using (var backend = (CpuBackend)provider.Create(device))
        {
            Assert.Equal("cpu", backend.Name);
            Assert.Equal(Environment.ProcessorCount, backend.Threads);
            Assert.Equal("cpu:0", backend.Device.Id);
        }

        using var single = (CpuBackend)provider.Create(device, new Dictionary<string, string> { ["threads"] = "1" });
        Assert.Equal(1, single.Threads);
    }

    [Fact]
    public void Unknown_or_malformed_options_are_rejected()
    {
        var provider = new CpuBackendProvider();
        var device = provider.Devices[0];
        var e = Assert.Throws<ArgumentException>(() => provider.Create(device, new Dictionary<string, string> { ["bogus"] = "1" }));
        Assert.Contains("bogus", e.Message, StringComparison.Ordinal);
        Assert.Contains("threads", e.Message, StringComparison.Ordinal);
        foreach (var bad in new[] { "0", "-2", "two", "" })
        {
            Assert.Throws<ArgumentException>(() => provider.Create(device, new Dictionary<string, string> { ["threads"] = bad }));
        }

        Assert.Throws<ArgumentException>(() => provider.Create(device, new Dictionary<string, string> { ["poison"] = "maybe" }));

        Assert.Throws<ArgumentException>(() => provider.Create(device with { Index = 1 }));
    }
}
