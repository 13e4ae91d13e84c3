/**
 * How each fault kind plays, all in one place. A Gooten route hands over its fault (if any)
 * and `answer`, which applies the call and gives its normal reply; a fault may replace the
 * reply, delay or withhold it, drop the socket before or after applying, or refuse some ids.
 */
import type { Exchange } from './exchange.js'
import type { Fault, StatusFault } from './faults.js'
import { ASPNET_ERROR_MESSAGE, entry, envelope } from './gooten-answers.js'
import { HTML_TYPE, JSON_TYPE, json } from './reply.js'
import type { Reply } from './reply.js'

/** Apply the call (on a cancel, refusing `refused` ids) and give its normal reply. */
export type Answer = (refused?: ReadonlySet<number>) => Reply

/** An ASP.NET error page, which IIS serves with 200. */
export const ASPNET_ERROR_PAGE = `<!DOCTYPE html>
<html>
<head><title>Runtime Error</title></head>
<body bgcolor="white">
<span><H1>Server Error in '/' Application.<hr width=100% size=1 color=silver></H1>
<h2> <i>Runtime Error</i> </h2></span>
<b> Description: </b>An application error occurred on the server.
</body>
</html>
`

/** Well past the 6 MiB the service reads. */
const HUGE_BYTES = 17 * 1024 * 1024
let hugeBody: Buffer | undefined

/** Exactly 17 MiB of valid JSON, built on first use. */
function huge (): Buffer {
  if (hugeBody === undefined) {
    const head = '{"HadError":false,"Padding":"'
    const tail = '"}'
    hugeBody = Buffer.from(head + 'x'.repeat(HUGE_BYTES - head.length - tail.length) + tail)
  }
  return hugeBody
}

function statusReply (fault: StatusFault): Reply {
  const reply: Reply = {
    status: fault.status,
    contentType: fault.contentType ?? JSON_TYPE,
    body: fault.body ?? JSON.stringify({ Message: ASPNET_ERROR_MESSAGE })
  }
  if (fault.retryAfter !== undefined) reply.retryAfter = fault.retryAfter
  return reply
}

const HTML_ERROR: Reply = { status: 200, contentType: HTML_TYPE, body: ASPNET_ERROR_PAGE }
const INVALID_JSON: Reply = { status: 200, contentType: JSON_TYPE, body: '{"Id":"13-' }
const WRONG_SHAPE = json(200, { Result: { Foo: 1 } })
/** A success that names no item: Gooten's cancel answer is documented by one example only. */
const BARE_SUCCESS: Reply = { status: 200, contentType: 'application/json', body: '{"HadError":false}' }

/** Answer the call as `fault` says, or normally when there is none. Only a delay or a late apply is async. */
export function playFault (fault: Fault | undefined, ex: Exchange, answer: Answer): Promise<void> | undefined {
  if (fault === undefined) {
    ex.send(answer())
    return
  }
  switch (fault.kind) {
    case 'status':
      ex.send(statusReply(fault))
      break
    case 'html':
      ex.send(HTML_ERROR)
      break
    case 'invalid-json':
      ex.send(INVALID_JSON)
      break
    case 'had-error':
      ex.send(json(200, envelope([entry('', fault.message ?? 'An unexpected error occurred.', '')])))
      break
    case 'message':
      ex.send(json(200, { Message: fault.message ?? ASPNET_ERROR_MESSAGE }))
      break
    case 'wrong-shape':
      ex.send(WRONG_SHAPE)
      break
    case 'huge':
      ex.send({ status: 200, contentType: JSON_TYPE, body: huge() })
      break
    case 'delay':
      // A client that leaves during the wait gets nothing applied.
      return ex.pause(fault.ms).then(stayed => { if (stayed) ex.send(answer()) })
    case 'hang':
      // Never answer: the request ends when the client gives up (an abort) or at close().
      break
    case 'reset':
      ex.drop()
      break
    case 'refuse':
      ex.send(answer(new Set(fault.itemIds)))
      break
    case 'reset-after-apply':
      answer()
      ex.drop()
      break
    case 'late-apply':
      // Applied once the time has passed, whoever is still listening; answered only if someone is.
      return ex.hold(fault.ms).then(() => {
        const reply = answer()
        if (!ex.clientLeft) ex.send(reply)
      })
    case 'bare-answer-after-apply':
      answer()
      ex.send(BARE_SUCCESS)
      break
    case 'had-error-after-apply':
      answer()
      ex.send(json(200, envelope([entry('', fault.message ?? 'An unexpected error occurred.', '')])))
      break
    case 'close-keepalive':
      ex.send(answer(), { connectionClose: true })
      break
  }
}
