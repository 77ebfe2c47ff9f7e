namespace Acr.Nn;

/// <summary>Which statistics batch norm normalises with.</summary>
public enum BatchNormMode
{
    /// <summary>The statistics of the current batch, per segment: ACR's training and zero-shot scoring mode.</summary>
    Batch,

    /// <summary>The running statistics gathered during training: a classic, stationary detector (baseline B1).</summary>
    Running,
}
