"""Users and who may do what (ACC-1..ACC-4): sign-in by SMS and WeChat (`auth`, `sms`,
`wechat`, `tokens`), roles and permissions (`access`), profiles and addresses (`profile`),
real-name identity (`identity`), invite codes and upline binding (`referral`), the in-app
inbox (`notifications`), the admin review queues (`review_queues`) and the data-key
rotation (`key_rotation`).
"""
