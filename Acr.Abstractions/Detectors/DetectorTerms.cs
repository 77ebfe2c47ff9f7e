namespace Acr.Detectors;

/// <summary>A detector's per-row outputs for one forward pass (each a vector of N elements).</summary>
/// <param name="NormalTerm">Loss of each row if it is normal.</param>
/// <param name="AnomalyTerm">Loss of each row if it is an anomaly.</param>
/// <param name="Score">Anomaly score; higher means more anomalous.</param>
public readonly record struct DetectorTerms(Variable NormalTerm, Variable AnomalyTerm, Variable Score);
