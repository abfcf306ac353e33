import { randomInt } from "node:crypto";
import { expect, test } from "@playwright/test";
import { contactRows, gql, phone, signIn, subscribed, unique, whatsappWebhook } from "./helpers";

test("a WhatsApp message from a new number shows its contact live, with the message", async ({ page }) => {
  // A WhatsApp number of the organization, with the app secret Meta signs deliveries with.
  const phoneNumberId = String(randomInt(1e9, 1e10));
  const appSecret = unique("app-secret").replace(" ", "-");
  await gql("mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }", {
    input: {
      kind: "WHATSAPP",
      name: "Sales WhatsApp",
      phoneNumberId,
      displayPhoneNumber: "15550783881",
      appSecret,
      verifyToken: unique("verify").replace(" ", "-"),
    },
  });

  const live = subscribed(page, "contactEvents");
  await signIn(page);
  await live;

  // The shape of a Meta delivery of one text message; its timestamp is now, so the contact leads the list.
  const name = unique("WhatsApp Lead");
  const from = phone().slice(1);
  const text = "Hola, ¿sigue disponible el apartamento en Escazú?";
  const status = await whatsappWebhook(
    {
      object: "whatsapp_business_account",
      entry: [
        {
          id: "102290129340398",
          changes: [
            {
              field: "messages",
              value: {
                messaging_product: "whatsapp",
                metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId },
                contacts: [{ profile: { name }, wa_id: from }],
                messages: [
                  {
                    from,
                    id: `wamid.${Date.now()}`,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    type: "text",
                    text: { body: text },
                  },
                ],
              },
            },
          ],
        },
      ],
    },
    appSecret,
  );
  expect(status).toBe(200);

  const row = contactRows(page).filter({ hasText: name });
  await expect(row).toBeVisible();
  await row.getByRole("button").click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  const conversation = page.getByRole("region", { name: "Conversation on Sales WhatsApp" });
  await expect(conversation.getByRole("list", { name: "Messages" })).toContainText(text);
});
