from thoth.messaging import Producer, foo_bar_message, publish_to_topic
from thoth.messaging.foo_bar import MessageContents

contents = MessageContents(component_name="investigator", service_version="0.1.0", foo="x", bar=1)
with Producer("localhost:9092") as producer:
    publish_to_topic(producer, foo_bar_message, contents)
    print(producer.flush(), "delivered")
