process.env.AWS_REGION ??= 'us-east-1';
