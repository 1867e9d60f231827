from bot.services.container import Services
from bot.storage.demo_data import load_demo_data
from bot.domain.sms_text import segment_info
from tests.support.phone_line import PhoneLine, configure_twilio

async def test_peek(services: Services) -> None:
    configure_twilio(services)
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())
    line = PhoneLine(services)
    for text in ["hola", "porq no me llego el bono", "1100000023", "02/07/1990", "2", "oficina", "Tacamoros", "cancelar", "3", "1100000015", "14/03/1988"]:
        a = await line.send(text, "+593991234567")
        print(">>>", text, a.status_code)
        for m in a.sent:
            print(segment_info(m.body), repr(m.body))
    assert False
