using Acr.Bench;
using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "pool-probe")
{
    return PoolProbe.Run();
}

if (args.Length > 0 && args[0] == "pool-stress")
{
    return PoolStress.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
}

if (args.Length > 0 && args[0] == "gemm-quick")
{
    return QuickGemm.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
