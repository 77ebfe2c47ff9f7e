namespace Acr.Detectors;

/// <summary>A hyperparameter a detector understands.</summary>
/// <param name="Name">Key, e.g. <c>hidden</c>.</param>
/// <param name="DefaultValue">Default, as invariant-culture text.</param>
/// <param name="Description">What it controls.</param>
public sealed record DetectorOption(string Name, string DefaultValue, string Description);
