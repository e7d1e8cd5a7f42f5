"""An independent AMQP client for the tests (pika).

  amqp_tool.py publish URL EXCHANGE ROUTING_KEY < bodies      one message per input line
  amqp_tool.py consume URL QUEUE COUNT TIMEOUT_S               prints each body (base64) per line,
                                                               acknowledging them
  amqp_tool.py declare URL QUEUE EXCHANGE PATTERN              a durable queue bound to a topic
                                                               exchange
"""
import base64
import sys
import time

import pika


def connect(url):
    return pika.BlockingConnection(pika.URLParameters(url))


def main():
    cmd, url = sys.argv[1], sys.argv[2]
    conn = connect(url)
    ch = conn.channel()
    if cmd == "publish":
        exchange, key = sys.argv[3], sys.argv[4]
        ch.confirm_delivery()
        n = 0
        for line in sys.stdin:
            line = line.rstrip("\n")
            if not line:
                continue
            ch.basic_publish(exchange, key, line.encode(), pika.BasicProperties(delivery_mode=2), mandatory=True)
            n += 1
        print(n)
    elif cmd == "declare":
        queue, exchange, pattern = sys.argv[3], sys.argv[4], sys.argv[5]
        ch.exchange_declare(exchange, exchange_type="topic", durable=True)
        ch.queue_declare(queue, durable=True)
        ch.queue_bind(queue, exchange, routing_key=pattern)
    elif cmd == "consume":
        queue, count, timeout = sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
        got = 0
        deadline = time.time() + timeout
        while got < count and time.time() < deadline:
            method, _props, body = ch.basic_get(queue)
            if method is None:
                time.sleep(0.05)
                continue
            print(base64.b64encode(body).decode(), flush=True)
            ch.basic_ack(method.delivery_tag)
            got += 1
    conn.close()


if __name__ == "__main__":
    main()
