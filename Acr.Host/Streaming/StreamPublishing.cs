using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Acr.Host.Streaming;

/// <summary>JetStream publishes that wait for the stream's acknowledgement and ride out a server restart.</summary>
internal static class StreamPublishing
{
    /// <summary>
    /// Publishes with <c>Nats-Msg-Id</c> = <paramref name="messageId"/> and waits until JetStream has stored it, retrying
    /// transient failures (no connection, no JetStream responder, a timeout) with a growing pause until
    /// <paramref name="retryFor"/> has passed. Returns whether JetStream recognised the id as already stored.
    /// </summary>
    /// <exception cref="IOException">The server did not store the message within <paramref name="retryFor"/>.</exception>
    public static async Task<bool> PublishAsync(INatsJSContext js, string subject, byte[] body, NatsHeaders headers, string messageId,
        TimeSpan retryFor, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + retryFor;
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                var ack = await js.PublishAsync(subject, body, headers: headers, opts: new NatsJSPubOpts { MsgId = messageId }, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (ack.Duplicate)
                {
                    return true; // stored before (a resubmitted run, a redelivered batch): JetStream kept one copy
                }

                ack.EnsureSuccess();
                return false;
            }
            catch (NatsJSDuplicateMessageException)
            {
                return true;
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                if (DateTime.UtcNow >= deadline)
                {
                    throw new IOException($"JetStream did not store {subject} ({messageId}) within {retryFor.TotalSeconds:0.#} s: {e.Message}", e);
                }

                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 1000));
            }
        }
    }

    /// <summary>Whether a NATS failure may pass by itself (the server or connection is down), as opposed to a refusal.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        NatsJSApiException => false, // the server answered with an error: retrying gives the same answer
        NatsNoRespondersException or NatsJSPublishNoResponseException => true, // JetStream not (yet) up after a restart
        NatsException or TimeoutException or OperationCanceledException or IOException => true,
        _ => false,
    };
}
